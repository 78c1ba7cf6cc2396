package io.parley.inference.audio.codec;

import static org.bytedeco.ffmpeg.global.avcodec.AV_CODEC_FLAG_GLOBAL_HEADER;
import static org.bytedeco.ffmpeg.global.avcodec.av_packet_alloc;
import static org.bytedeco.ffmpeg.global.avcodec.av_packet_free;
import static org.bytedeco.ffmpeg.global.avcodec.av_packet_rescale_ts;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_alloc_context3;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_find_encoder_by_name;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_free_context;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_open2;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_parameters_from_context;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_receive_packet;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_send_frame;
import static org.bytedeco.ffmpeg.global.avformat.AVFMT_GLOBALHEADER;
import static org.bytedeco.ffmpeg.global.avformat.av_interleaved_write_frame;
import static org.bytedeco.ffmpeg.global.avformat.av_write_trailer;
import static org.bytedeco.ffmpeg.global.avformat.avformat_alloc_output_context2;
import static org.bytedeco.ffmpeg.global.avformat.avformat_free_context;
import static org.bytedeco.ffmpeg.global.avformat.avformat_new_stream;
import static org.bytedeco.ffmpeg.global.avformat.avformat_write_header;
import static org.bytedeco.ffmpeg.global.avformat.avio_close_dyn_buf;
import static org.bytedeco.ffmpeg.global.avformat.avio_open_dyn_buf;
import static org.bytedeco.ffmpeg.global.avutil.AVERROR_EOF;
import static org.bytedeco.ffmpeg.global.avutil.AV_SAMPLE_FMT_S16;
import static org.bytedeco.ffmpeg.global.avutil.AV_SAMPLE_FMT_S16P;
import static org.bytedeco.ffmpeg.global.avutil.av_channel_layout_default;
import static org.bytedeco.ffmpeg.global.avutil.av_frame_alloc;
import static org.bytedeco.ffmpeg.global.avutil.av_frame_free;
import static org.bytedeco.ffmpeg.global.avutil.av_frame_get_buffer;
import static org.bytedeco.ffmpeg.global.avutil.av_frame_make_writable;
import static org.bytedeco.ffmpeg.global.avutil.av_free;
import static org.bytedeco.ffmpeg.global.avutil.av_make_q;

import io.parley.core.ParleyException;
import io.parley.core.ParleyException.Reason;
import io.parley.inference.audio.Pcm;
import io.parley.inference.audio.Resampler;
import io.parley.inference.audio.Wav;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.Set;
import org.bytedeco.ffmpeg.avcodec.AVCodec;
import org.bytedeco.ffmpeg.avcodec.AVCodecContext;
import org.bytedeco.ffmpeg.avcodec.AVPacket;
import org.bytedeco.ffmpeg.avformat.AVFormatContext;
import org.bytedeco.ffmpeg.avformat.AVIOContext;
import org.bytedeco.ffmpeg.avformat.AVOutputFormat;
import org.bytedeco.ffmpeg.avformat.AVStream;
import org.bytedeco.ffmpeg.avutil.AVDictionary;
import org.bytedeco.ffmpeg.avutil.AVFrame;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.ShortPointer;

/**
 * Encodes synthesised speech (PCM16 mono) into the {@code response_format}s of
 * {@code /v1/audio/speech}: WAV and raw PCM in Java; Ogg Opus (libopus) and MP3 (LAME) through
 * FFmpeg, muxed in memory. Blocking and native: call it on a worker thread.
 */
public final class AudioEncoder {

  /** Opus for speech: 32 kbit/s mono is transparent for a synthetic voice. */
  static final int OPUS_BITS_PER_SECOND = 32_000;
  /** MP3 at 24 kHz (MPEG-2 Layer III) mono. */
  static final int MP3_BITS_PER_SECOND = 48_000;

  private AudioEncoder() {}

  /** The formats this build can encode: WAV and PCM always, Opus and MP3 where FFmpeg has their encoders. */
  public static Set<SpeechFormat> supported() {
    Set<SpeechFormat> formats = EnumSet.of(SpeechFormat.WAV, SpeechFormat.PCM);
    if (Ffmpeg.available()) {
      for (SpeechFormat f : new SpeechFormat[] {SpeechFormat.OPUS, SpeechFormat.MP3}) {
        AVCodec codec = avcodec_find_encoder_by_name(Codec.of(f).encoder);
        if (codec != null && !codec.isNull()) {
          formats.add(f);
        }
      }
    }
    return formats;
  }

  /**
   * {@code pcm16} (mono at {@code sampleRate}) as {@code format}, resampled to the format's rate.
   *
   * @throws ParleyException {@link Reason#INVALID} with code {@link AudioDecoder#UNSUPPORTED_AUDIO}
   *     for a format this build cannot encode; {@link Reason#INTERNAL} when the encoder fails
   */
  public static EncodedAudio encode(short[] pcm16, int sampleRate, SpeechFormat format) {
    int rate = format.rate(sampleRate);
    short[] pcm = rate == sampleRate ? pcm16 : Resampler.resample(pcm16, sampleRate, rate);
    byte[] data = switch (format) {
      case WAV -> Wav.write(pcm, rate);
      case PCM -> Pcm.toLittleEndian(pcm);
      case OPUS, MP3 -> {
        if (!supported().contains(format)) {
          throw AudioDecoder.invalid(AudioDecoder.UNSUPPORTED_AUDIO, "response_format " + format.wire()
              + " cannot be encoded on this server; supported: " + SpeechFormat.names(supported()));
        }
        try (Muxing m = new Muxing(Codec.of(format), rate)) {
          yield m.run(pcm);
        }
      }
    };
    return new EncodedAudio(data, format.contentType());
  }

  /** FFmpeg's encoder, muxer, sample format and bit rate for a compressed format. */
  private record Codec(String encoder, String muxer, int sampleFormat, int bitRate) {
    static Codec of(SpeechFormat f) {
      return switch (f) {
        case OPUS -> new Codec("libopus", "ogg", AV_SAMPLE_FMT_S16, OPUS_BITS_PER_SECOND);
        case MP3 -> new Codec("libmp3lame", "mp3", AV_SAMPLE_FMT_S16P, MP3_BITS_PER_SECOND);
        default -> throw new IllegalArgumentException(f + " is not encoded by FFmpeg");
      };
    }
  }

  /** One encoding into memory: the native contexts it holds, all freed by {@link #close}. */
  private static final class Muxing implements AutoCloseable {

    private final Codec codec;
    private final int rate;
    private AVFormatContext muxer;
    private AVCodecContext encoder;
    private AVStream stream;
    private AVFrame frame;
    private AVPacket packet;

    Muxing(Codec codec, int rate) {
      this.codec = codec;
      this.rate = rate;
    }

    byte[] run(short[] pcm) {
      AVCodec found = avcodec_find_encoder_by_name(codec.encoder);
      muxer = new AVFormatContext(null);
      check(avformat_alloc_output_context2(muxer, (AVOutputFormat) null, codec.muxer, null), "opening the muxer");
      encoder = avcodec_alloc_context3(found);
      encoder.sample_rate(rate);
      encoder.sample_fmt(codec.sampleFormat);
      av_channel_layout_default(encoder.ch_layout(), 1);
      encoder.bit_rate(codec.bitRate);
      encoder.time_base(av_make_q(1, rate));
      encoder.thread_count(1);
      if ((muxer.oformat().flags() & AVFMT_GLOBALHEADER) != 0) {
        encoder.flags(encoder.flags() | AV_CODEC_FLAG_GLOBAL_HEADER);
      }
      check(avcodec_open2(encoder, found, (AVDictionary) null), "opening " + codec.encoder);
      stream = avformat_new_stream(muxer, null);
      check(avcodec_parameters_from_context(stream.codecpar(), encoder), "setting the stream's parameters");
      stream.time_base(encoder.time_base());
      AVIOContext pb = new AVIOContext(null);
      check(avio_open_dyn_buf(pb), "opening the output buffer");
      muxer.pb(pb);
      check(avformat_write_header(muxer, (AVDictionary) null), "writing the header");

      int frameSize = encoder.frame_size() > 0 ? encoder.frame_size() : 1024;
      frame = av_frame_alloc();
      frame.nb_samples(frameSize);
      frame.format(codec.sampleFormat);
      frame.sample_rate(rate);
      av_channel_layout_default(frame.ch_layout(), 1);
      check(av_frame_get_buffer(frame, 0), "allocating a frame");
      packet = av_packet_alloc();
      short[] chunk = new short[frameSize];
      long pts = 0;
      for (int at = 0; at < pcm.length; at += frameSize) {
        int n = Math.min(frameSize, pcm.length - at);
        System.arraycopy(pcm, at, chunk, 0, n);
        Arrays.fill(chunk, n, frameSize, (short) 0); // the last frame padded with silence
        check(av_frame_make_writable(frame), "reusing a frame");
        new ShortPointer(frame.data(0)).put(chunk, 0, frameSize);
        frame.pts(pts);
        pts += frameSize;
        check(avcodec_send_frame(encoder, frame), "encoding");
        writePackets();
      }
      check(avcodec_send_frame(encoder, null), "finishing the encoding");
      writePackets();
      check(av_write_trailer(muxer), "writing the trailer");
      return closeOutput();
    }

    private void writePackets() {
      int rc;
      while ((rc = avcodec_receive_packet(encoder, packet)) >= 0) {
        av_packet_rescale_ts(packet, encoder.time_base(), stream.time_base());
        packet.stream_index(stream.index());
        check(av_interleaved_write_frame(muxer, packet), "writing a packet");
      }
      if (rc != Ffmpeg.AVERROR_EAGAIN && rc != AVERROR_EOF) {
        check(rc, "encoding");
      }
    }

    /** The bytes written so far; frees the output buffer. */
    private byte[] closeOutput() {
      BytePointer buffer = new BytePointer((org.bytedeco.javacpp.Pointer) null);
      int size = avio_close_dyn_buf(muxer.pb(), buffer);
      muxer.pb(null);
      try {
        byte[] bytes = new byte[Math.max(size, 0)];
        if (size > 0) {
          buffer.get(bytes);
        }
        return bytes;
      } finally {
        av_free(buffer);
      }
    }

    private static void check(int rc, String what) {
      if (rc < 0) {
        throw new ParleyException(Reason.INTERNAL, "audio encoding failed " + what + ": " + Ffmpeg.error(rc));
      }
    }

    @Override
    public void close() {
      if (packet != null) {
        av_packet_free(packet);
      }
      if (frame != null) {
        av_frame_free(frame);
      }
      if (encoder != null) {
        avcodec_free_context(encoder);
      }
      if (muxer != null && !muxer.isNull()) {
        if (muxer.pb() != null && !muxer.pb().isNull()) {
          closeOutput();
        }
        avformat_free_context(muxer);
      }
    }
  }
}
