package io.parley.inference.stt;

import java.time.Duration;

/** A transcription result: the text, the language it was in, and the engine's compute time. */
public record Transcript(String text, String language, Duration compute) {}
