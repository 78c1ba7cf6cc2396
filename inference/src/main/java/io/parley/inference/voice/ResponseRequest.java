package io.parley.inference.voice;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What a response.create asks of its one answer ({@link VoiceSession#createResponse(TurnTimings,
 * ResponseRequest)}): the settings it is made with (its own instructions, output modality, token
 * limit, voice, tools; the session's stay as they are), whether it is out of band (it is not added
 * to the conversation: not stored, not seen by later answers, not an item a created one follows),
 * and the context it reads instead of the conversation (empty: the conversation).
 */
public record ResponseRequest(VoiceSettings settings, boolean outOfBand, Optional<List<ContextItem>> input) {
  public ResponseRequest {
    Objects.requireNonNull(settings, "settings");
    input = input.map(List::copyOf);
  }
}
