// The PCM16 samples of a 24 kHz WAV file (the rate the Realtime protocol's audio/pcm format has).
import { readFileSync } from "node:fs";

export function pcmOfWav(path, expectedRate = 24000) {
  const b = readFileSync(path);
  if (b.toString("ascii", 0, 4) !== "RIFF" || b.toString("ascii", 8, 12) !== "WAVE") throw new Error(`${path}: not a WAV`);
  let at = 12;
  let rate = 0;
  while (at + 8 <= b.length) {
    const id = b.toString("ascii", at, at + 4);
    const size = b.readUInt32LE(at + 4);
    if (id === "fmt ") rate = b.readUInt32LE(at + 12);
    if (id === "data") {
      if (rate !== expectedRate) throw new Error(`${path}: ${rate} Hz, expected ${expectedRate}`);
      return b.subarray(at + 8, at + 8 + size);
    }
    at += 8 + size + (size % 2);
  }
  throw new Error(`${path}: no data chunk`);
}
