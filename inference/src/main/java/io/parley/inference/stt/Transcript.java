package io.parley.inference.stt;

import java.time.Duration;

/**
 * A transcription result: the text, the language it was in (a code of {@link Languages#CODES}: the
 * one detected, or the one asked for; {@link Languages#UNDETERMINED} when detected but unknown), and
 * the engine's compute time.
 */
public record Transcript(String text, String language, Duration compute) {}
