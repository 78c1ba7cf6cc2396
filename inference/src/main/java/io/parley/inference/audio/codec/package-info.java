/**
 * Compressed audio through <a href="https://ffmpeg.org/">FFmpeg</a> (7.1, through JavaCPP's
 * {@code org.bytedeco:ffmpeg}): {@link io.parley.inference.audio.codec.AudioDecoder} reads an
 * uploaded file of any format OpenAI's transcription endpoint accepts from memory to 16 kHz mono,
 * within {@link io.parley.inference.audio.codec.CodecOptions}' limits;
 * {@link io.parley.inference.audio.codec.AudioEncoder} writes synthesised speech as a
 * {@link io.parley.inference.audio.codec.SpeechFormat}: WAV, raw PCM, Ogg Opus
 * (<a href="https://www.rfc-editor.org/rfc/rfc7845">RFC 7845</a>) or MP3. Both block and call native
 * code: run them on a worker executor of platform threads.
 *
 * @see <a href="https://platform.openai.com/docs/api-reference/audio">OpenAI audio API</a>
 */
package io.parley.inference.audio.codec;
