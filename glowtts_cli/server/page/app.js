// The try-a-voice page: lists voices, synthesizes through /api/tts, plays and offers a download.
"use strict";

const $ = (id) => document.getElementById(id);
let voices = [];
let objectUrl = null;

function showError(message) {
  $("error").textContent = message;
  $("error").hidden = !message;
}

function currentVoice() {
  return voices.find((v) => v.id === $("voice").value);
}

function fillSpeakers() {
  const voice = currentVoice();
  const speakers = voice ? voice.speakers : [];
  $("speaker").replaceChildren(...speakers.map((name) => new Option(name, name)));
  $("speaker-label").hidden = speakers.length === 0;
  if (voice) {
    setSlider("noise", voice.defaults.noise_scale);
    setSlider("length", voice.defaults.length_scale);
  }
}

function setSlider(id, value) {
  $(id).value = value;
  $(id + "-value").textContent = value;
}

async function loadVoices() {
  const response = await fetch("/v1/voices");
  const listing = await response.json();
  voices = listing.data;
  $("voice").replaceChildren(...voices.map((v) => new Option(`${v.id} (${v.language})`, v.id)));
  const preferred = voices.find((v) => v.default);
  if (preferred) $("voice").value = preferred.id;
  fillSpeakers();
}

async function synthesize(event) {
  event.preventDefault();
  showError("");
  const body = {
    text: $("text").value,
    voice: $("voice").value,
    noise_scale: Number($("noise").value),
    length_scale: Number($("length").value),
  };
  if (!$("speaker-label").hidden) body.speaker = $("speaker").value;
  $("play").disabled = true;
  $("status").textContent = "synthesizing…";
  const started = performance.now();
  try {
    const response = await fetch("/api/tts", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
    if (!response.ok) {
      const problem = await response.json().catch(() => null);
      const error = problem && problem.error;
      throw new Error(error ? error.message + (error.hint ? "\n" + error.hint : "") : response.statusText);
    }
    const blob = await response.blob();
    if (objectUrl) URL.revokeObjectURL(objectUrl);
    objectUrl = URL.createObjectURL(blob);
    $("audio").src = objectUrl;
    $("download").href = objectUrl;
    $("download").setAttribute("aria-disabled", "false");
    $("status").textContent = `${((performance.now() - started) / 1000).toFixed(2)} s`;
    await $("audio").play().catch(() => {}); // autoplay may be refused; the controls remain
  } catch (error) {
    $("status").textContent = "";
    showError(error.message);
  } finally {
    $("play").disabled = false;
  }
}

for (const id of ["noise", "length"]) {
  $(id).addEventListener("input", () => { $(id + "-value").textContent = $(id).value; });
}
$("voice").addEventListener("change", fillSpeakers);
$("form").addEventListener("submit", synthesize);
loadVoices().catch((error) => showError("Cannot list voices: " + error.message));
