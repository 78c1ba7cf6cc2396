/**
 * Audio plumbing for the engines, in plain Java: {@link io.parley.inference.audio.Pcm} (PCM16
 * encodings, float samples, base64), {@link io.parley.inference.audio.Resampler} (streaming
 * windowed-sinc sample-rate conversion between the rates speech engines use: 8, 16, 22.05, 24,
 * 44.1 and 48 kHz) and {@link io.parley.inference.audio.Wav} (strict RIFF/WAVE PCM16 reading,
 * mono writing); {@link io.parley.inference.audio.codec} adds the compressed formats through FFmpeg.
 *
 * <p>Parley's audio is PCM16 little-endian mono unless a name says otherwise; Whisper and the VAD
 * take 16 kHz floats, the OpenAI Realtime API and speech endpoint speak 24 kHz PCM16, FreeTTS
 * produces 16 kHz big-endian.
 */
package io.parley.inference.audio;
