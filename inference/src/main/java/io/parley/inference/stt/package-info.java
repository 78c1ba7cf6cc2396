/**
 * Speech to text: {@link io.parley.inference.stt.WhisperStt} runs <a
 * href="https://github.com/ggerganov/whisper.cpp">whisper.cpp</a> in-process (whisper-jni), after
 * validating the ggml model file in Java ({@code WhisperModelFile}); {@link
 * io.parley.inference.stt.StreamingTranscriber} makes it streaming for one audio stream by cutting
 * at the VAD's {@link io.parley.inference.vad.VadEvent}s: interim transcripts while the user speaks,
 * one final transcript per segment, late results discarded.
 *
 * <p>Threads: engine calls are blocking JNI calls on the STT worker executor (platform threads,
 * {@code PARLEY_STT_WORKERS} of them, one whisper state each); nothing here touches an event loop.
 */
package io.parley.inference.stt;
