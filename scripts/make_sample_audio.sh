#!/usr/bin/env bash
# Regenerate the bundled demo sample and the committed speech fixtures.
#
# Needs flite and sox (Debian: apt-get install -y flite sox); tests and the demo do not, since the
# outputs are committed. flite's "slt" voice is used because pocketsphinx's default en-US model reads
# it almost perfectly (see the project's test-speech notes); espeak-ng is far worse.
# The texts are invented: they contain no real patient data.
#
# Usage: scripts/make_sample_audio.sh            (run from anywhere; writes into the repository)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
data="$root/src/transcribe_medical/local/data"
fixtures="$root/tests/fixtures/audio"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

for tool in flite sox; do
    command -v "$tool" >/dev/null || { echo "missing $tool: apt-get install -y flite sox" >&2; exit 1; }
done

# say TEXT OUT.wav RATE: synthesise with flite (slt), then convert to mono PCM16 with sox
# (-R: repeatable dither, so regenerating gives the same bytes).
say() {
    local text="$1" out="$2" rate="$3"
    flite -voice slt -t "$text" -o "$work/raw.wav"
    sox -R "$work/raw.wav" -r "$rate" -c 1 -b 16 "$out"
}

# The demo dictation (about 16 s, 16 kHz mono).
dictation="patient is a fifty two year old male presenting with chest pain radiating to the left arm \
for two days. he reports shortness of breath and nausea. blood pressure is one hundred forty over \
ninety. we will start aspirin and order an electrocardiogram and a chest x-ray."
say "$dictation" "$data/sample_dictation.wav" 16000
printf '%s\n' "$dictation" > "$data/sample_dictation.txt"

# A short mono clip, 16 kHz.
mono="the patient has had a cough for three days."
say "$mono" "$fixtures/mono_16k.wav" 16000
printf '%s\n' "$mono" > "$fixtures/mono_16k.txt"

# Two channels at 16 kHz, different speech on each (clinician on channel 0, patient on channel 1).
left="how long have you had the headache?"
right="about three days now."
say "$left" "$work/left.wav" 16000
say "$right" "$work/right.wav" 16000
# Pad the shorter side with silence so both channels have the same length, then merge.
len_left=$(soxi -s "$work/left.wav")
len_right=$(soxi -s "$work/right.wav")
longest=$(( len_left > len_right ? len_left : len_right ))
sox -R "$work/left.wav" "$work/left_pad.wav" pad 0 "$(( longest - len_left ))s"
sox -R "$work/right.wav" "$work/right_pad.wav" pad 0 "$(( longest - len_right ))s"
sox -R -M "$work/left_pad.wav" "$work/right_pad.wav" -b 16 "$fixtures/stereo_16k.wav"
printf '%s\n' "$left" > "$fixtures/stereo_16k.ch0.txt"
printf '%s\n' "$right" > "$fixtures/stereo_16k.ch1.txt"

# A mono clip at 44.1 kHz (exercises resampling in the local recognizer).
hifi="blood pressure is normal today."
say "$hifi" "$fixtures/mono_44k.wav" 44100
printf '%s\n' "$hifi" > "$fixtures/mono_44k.txt"

ls -l "$data" "$fixtures"
