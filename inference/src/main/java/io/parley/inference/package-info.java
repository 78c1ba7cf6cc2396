/**
 * In-process inference engines behind small interfaces, and the voice pipeline that joins them.
 *
 * <ul>
 *   <li>{@code vad}: voice activity (Silero v5 on ONNX Runtime) and the segmenter that turns
 *       per-frame probabilities into speech start/stop events;</li>
 *   <li>{@code stt}: speech to text (Whisper through whisper-jni), made streaming by a VAD-segmenting
 *       adapter;</li>
 *   <li>{@code llm}: streaming chat completions (an OpenAI-compatible client, llama.cpp in-process);</li>
 *   <li>{@code tts}: speech synthesis (FreeTTS in-process, an OpenAI-compatible client) and the
 *       sentence chunker that feeds it from a streaming answer;</li>
 *   <li>{@code audio}: PCM16 conversions, resampling and WAV files, in plain Java;</li>
 *   <li>{@code vision}: object detection on photos (NanoDet-m's graph on DJL, YOLO exports through
 *       DJL's translators) with its own worker threads and waiting queue;</li>
 *   <li>{@code voice}: the assistant pipeline (turns, barge-in) and the batched VAD scheduler.</li>
 * </ul>
 *
 * <p>Engines are blocking and thread-confined where their native libraries need it; callers run
 * them on named worker executors passed in by whoever assembles them (the api module's voice
 * setup; the vision detectors start their own threads), never on an event loop, and never JNI from
 * virtual threads.
 */
package io.parley.inference;
