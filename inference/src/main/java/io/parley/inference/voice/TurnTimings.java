package io.parley.inference.voice;

import io.vertx.core.json.JsonObject;
import java.time.Duration;

/**
 * One turn's latencies on one monotonic clock ({@code System.nanoTime}), all measured from the end
 * of the user's speech: final transcript, first LLM token, first TTS audio, response done. The
 * engines' own compute (Whisper) is kept beside them, so that pipeline overhead can be told apart.
 */
public final class TurnTimings {

  private final long endOfSpeech;
  private long transcribed;
  private long sttCompute;
  private long firstToken;
  private long firstAudio;
  private long done;

  public TurnTimings(long endOfSpeechNanos) {
    this.endOfSpeech = endOfSpeechNanos;
  }

  void transcribed(long at, Duration compute) {
    transcribed = at;
    sttCompute = compute == null ? 0 : compute.toNanos();
  }

  void firstToken(long at) {
    if (firstToken == 0) {
      firstToken = at;
    }
  }

  void firstAudio(long at) {
    if (firstAudio == 0) {
      firstAudio = at;
    }
  }

  void done(long at) {
    done = at;
  }

  private Double ms(long at) {
    return at == 0 ? null : (at - endOfSpeech) / 1e6;
  }

  public Double transcriptMs() {
    return ms(transcribed);
  }

  public Double firstTokenMs() {
    return ms(firstToken);
  }

  public Double firstAudioMs() {
    return ms(firstAudio);
  }

  public Double doneMs() {
    return ms(done);
  }

  public double sttComputeMs() {
    return sttCompute / 1e6;
  }

  /** The {@code parley_timings} object sent with response.done. */
  public JsonObject toJson() {
    return new JsonObject()
        .put("end_of_speech_to_transcript_ms", transcriptMs())
        .put("end_of_speech_to_first_token_ms", firstTokenMs())
        .put("end_of_speech_to_first_audio_ms", firstAudioMs())
        .put("end_of_speech_to_done_ms", doneMs())
        .put("stt_compute_ms", sttComputeMs());
  }
}
