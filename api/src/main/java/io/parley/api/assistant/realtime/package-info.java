/**
 * The OpenAI Realtime API's event protocol, as far as Parley speaks it: the client events
 * ({@link io.parley.api.assistant.realtime.ClientEvent}, decoded by
 * {@link io.parley.api.assistant.realtime.ClientEventDecoder}) and the server events, encoded from the
 * voice pipeline's own {@link io.parley.inference.voice.VoiceEvent}s by
 * {@link io.parley.api.assistant.realtime.ServerEventEncoder}. A client event that breaks the protocol
 * is a {@link io.parley.api.assistant.realtime.RealtimeProtocolException}, answered with an
 * {@code error} event; the session lives on. {@link io.parley.api.assistant.realtime.RealtimeItems}
 * keeps the items a socket showed, for {@code conversation.item.retrieve} and {@code delete}. The
 * audio of each direction is in the session's {@link io.parley.api.assistant.realtime.AudioFormat}
 * (PCM16, or G.711 as telephony carries it).
 *
 * @see <a href="https://platform.openai.com/docs/api-reference/realtime-client-events">Realtime client events</a>
 * @see <a href="https://platform.openai.com/docs/api-reference/realtime-server-events">Realtime server events</a>
 */
package io.parley.api.assistant.realtime;
