"""ONNX voices: export a voice as one graph with Piper's interface, and run it without torch.

``export`` and ``graph`` (torch) write ``model.onnx`` + ``model.onnx.json``; ``runtime`` (numpy and
onnxruntime only) runs it; ``piper_config`` writes Piper's voice config.
"""
