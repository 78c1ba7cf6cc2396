package io.parley.inference.audio.codec;

/** Encoded audio and the media type to send it with. */
public record EncodedAudio(byte[] data, String contentType) {}
