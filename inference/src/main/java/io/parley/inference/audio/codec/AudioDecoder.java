package io.parley.inference.audio.codec;

import static org.bytedeco.ffmpeg.global.avcodec.av_packet_alloc;
import static org.bytedeco.ffmpeg.global.avcodec.av_packet_free;
import static org.bytedeco.ffmpeg.global.avcodec.av_packet_unref;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_alloc_context3;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_find_decoder;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_free_context;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_open2;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_parameters_to_context;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_receive_frame;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_send_packet;
import static org.bytedeco.ffmpeg.global.avformat.av_find_best_stream;
import static org.bytedeco.ffmpeg.global.avformat.av_read_frame;
import static org.bytedeco.ffmpeg.global.avformat.avformat_alloc_context;
import static org.bytedeco.ffmpeg.global.avformat.avformat_close_input;
import static org.bytedeco.ffmpeg.global.avformat.avformat_find_stream_info;
import static org.bytedeco.ffmpeg.global.avformat.avformat_free_context;
import static org.bytedeco.ffmpeg.global.avformat.avformat_open_input;
import static org.bytedeco.ffmpeg.global.avutil.AVERROR_DECODER_NOT_FOUND;
import static org.bytedeco.ffmpeg.global.avutil.AVERROR_EOF;
import static org.bytedeco.ffmpeg.global.avutil.AVMEDIA_TYPE_AUDIO;
import static org.bytedeco.ffmpeg.global.avutil.AV_NOPTS_VALUE;
import static org.bytedeco.ffmpeg.global.avutil.AV_ROUND_UP;
import static org.bytedeco.ffmpeg.global.avutil.AV_SAMPLE_FMT_FLT;
import static org.bytedeco.ffmpeg.global.avutil.AV_TIME_BASE;
import static org.bytedeco.ffmpeg.global.avutil.av_channel_layout_default;
import static org.bytedeco.ffmpeg.global.avutil.av_channel_layout_uninit;
import static org.bytedeco.ffmpeg.global.avutil.av_frame_alloc;
import static org.bytedeco.ffmpeg.global.avutil.av_frame_free;
import static org.bytedeco.ffmpeg.global.avutil.av_frame_unref;
import static org.bytedeco.ffmpeg.global.avutil.av_get_sample_fmt_name;
import static org.bytedeco.ffmpeg.global.avutil.av_opt_set;
import static org.bytedeco.ffmpeg.global.avutil.av_q2d;
import static org.bytedeco.ffmpeg.global.avutil.av_rescale_rnd;
import static org.bytedeco.ffmpeg.global.swresample.swr_alloc_set_opts2;
import static org.bytedeco.ffmpeg.global.swresample.swr_convert;
import static org.bytedeco.ffmpeg.global.swresample.swr_free;
import static org.bytedeco.ffmpeg.global.swresample.swr_get_delay;
import static org.bytedeco.ffmpeg.global.swresample.swr_init;

import io.parley.core.ParleyException;
import io.parley.core.ParleyException.Reason;
import io.parley.inference.audio.Pcm;
import io.parley.inference.audio.Resampler;
import io.parley.inference.audio.Wav;
import java.util.Arrays;
import java.util.Locale;
import org.bytedeco.ffmpeg.avcodec.AVCodec;
import org.bytedeco.ffmpeg.avcodec.AVCodecContext;
import org.bytedeco.ffmpeg.avcodec.AVPacket;
import org.bytedeco.ffmpeg.avformat.AVFormatContext;
import org.bytedeco.ffmpeg.avformat.AVStream;
import org.bytedeco.ffmpeg.avutil.AVChannelLayout;
import org.bytedeco.ffmpeg.avutil.AVDictionary;
import org.bytedeco.ffmpeg.avutil.AVFrame;
import org.bytedeco.ffmpeg.swresample.SwrContext;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.PointerPointer;

/**
 * Decodes an uploaded audio file, whatever OpenAI's transcription endpoint accepts (MP3, MP4/M4A
 * with AAC, MPEG, Ogg with Opus or Vorbis, WAV with any PCM or float samples, WebM with Opus, FLAC),
 * to 16 kHz mono for Whisper: FFmpeg demuxes and decodes from memory ({@link MemoryInput}) and its
 * resampler mixes down and converts the rate.
 *
 * <h2>Limits</h2>
 * Only the demuxers of those formats are allowed ({@link #DEMUXERS}): no playlist or concat format
 * that would name other files. A file whose container declares a duration over
 * {@link CodecOptions#maxDuration()} is refused before its first packet is decoded; one that
 * declares none, or lies, is refused as soon as its decoded audio passes the limit, so a small file
 * that decodes to hours costs at most the limit's worth of decoding.
 *
 * <h2>Failures</h2>
 * {@link ParleyException} with {@link Reason#INVALID} and one of the codes {@link #INVALID_AUDIO},
 * {@link #UNSUPPORTED_AUDIO} or {@link #AUDIO_TOO_LONG}; every native context is freed on every path.
 * Blocking and native: call it on a worker thread (a platform thread, as for every JNI call).
 * Without FFmpeg (a platform the build ships no natives for) only PCM16 WAV is read, in Java.
 */
public final class AudioDecoder {

  /** The rate of {@link DecodedAudio#samples()}: Whisper's. */
  public static final int SAMPLE_RATE = 16_000;
  /** The file is not audio FFmpeg can read, or is damaged. */
  public static final String INVALID_AUDIO = "invalid_audio";
  /** The file is in a format or codec Parley does not accept. */
  public static final String UNSUPPORTED_AUDIO = "unsupported_audio";
  /** The audio is longer than {@code PARLEY_TRANSCRIBE_MAX_SECONDS}. */
  public static final String AUDIO_TOO_LONG = "audio_too_long";
  /** FFmpeg's demuxers for the accepted formats (FFmpeg names; mp4 and m4a are the mov demuxer). */
  static final String DEMUXERS = "mov,mp4,m4a,3gp,3g2,mj2,mp3,aac,mpeg,ogg,wav,matroska,webm,flac";
  /** The formats to name in an error, as OpenAI names them. */
  public static final String ACCEPTED = "flac, m4a, mp3, mp4, mpeg, mpga, oga, ogg, wav, webm";

  private final CodecOptions options;

  public AudioDecoder(CodecOptions options) {
    this.options = options;
  }

  /** Whether FFmpeg is there: without it only PCM16 WAV files are read. */
  public static boolean ffmpegAvailable() {
    return Ffmpeg.available();
  }

  /** Decodes {@code file} to 16 kHz mono within the limits. */
  public DecodedAudio decode(byte[] file) {
    if (file.length == 0) {
      throw invalid(INVALID_AUDIO, "the file is empty");
    }
    if (!Ffmpeg.available()) {
      return decodeWavInJava(file);
    }
    try (MemoryInput input = new MemoryInput(file); Decoding d = new Decoding(options.maxSamples())) {
      return d.run(input);
    }
  }

  private DecodedAudio decodeWavInJava(byte[] file) {
    Wav.Audio wav;
    try {
      wav = Wav.read(file);
    } catch (RuntimeException e) {
      throw invalid(UNSUPPORTED_AUDIO, "only PCM16 WAV files can be read on this server (FFmpeg is not available"
          + " on this platform): " + e.getMessage());
    }
    if ((long) wav.frames() * SAMPLE_RATE / wav.sampleRate() > options.maxSamples()) {
      throw tooLong(wav.seconds());
    }
    float[] samples = Pcm.toFloat(Resampler.resample(wav.mono(), wav.sampleRate(), SAMPLE_RATE));
    return new DecodedAudio(samples, "wav", "pcm_s16le");
  }

  private ParleyException tooLong(double seconds) {
    return invalid(AUDIO_TOO_LONG, String.format(Locale.ROOT, "the audio is %s long; at most %d s are accepted"
        + " (PARLEY_TRANSCRIBE_MAX_SECONDS)", seconds < 0 ? "too" : String.format(Locale.ROOT, "%.0f s", seconds),
        options.maxDuration().toSeconds()));
  }

  static ParleyException invalid(String code, String message) {
    return new ParleyException(Reason.INVALID, code, message);
  }

  /** One decoding: the native contexts it holds, all freed by {@link #close}. */
  private final class Decoding implements AutoCloseable {

    private final long maxSamples;
    private AVFormatContext format;
    private AVCodecContext decoder;
    private AVPacket packet;
    private AVFrame frame;
    private SwrContext resampler;
    private final AVChannelLayout mono = new AVChannelLayout();
    private int resamplerFormat = -1;
    private int resamplerRate = -1;
    private int resamplerChannels = -1;
    private FloatPointer out;
    private PointerPointer<FloatPointer> outPlanes;
    private float[] samples = new float[SAMPLE_RATE * 30];
    private int count;
    private int badPackets;

    Decoding(long maxSamples) {
      this.maxSamples = maxSamples;
      av_channel_layout_default(mono, 1);
    }

    DecodedAudio run(MemoryInput input) {
      format = avformat_alloc_context();
      format.pb(input.avio());
      av_opt_set(format, "format_whitelist", DEMUXERS, 0);
      int rc = avformat_open_input(format, (String) null, null, (AVDictionary) null);
      if (rc < 0) {
        format = null; // freed by avformat_open_input
        throw invalid(INVALID_AUDIO, "not an audio file in a supported format (" + ACCEPTED + "): "
            + Ffmpeg.error(rc));
      }
      rc = avformat_find_stream_info(format, (PointerPointer<?>) null);
      if (rc < 0) {
        throw invalid(INVALID_AUDIO, "the file's streams could not be read: " + Ffmpeg.error(rc));
      }
      int index = av_find_best_stream(format, AVMEDIA_TYPE_AUDIO, -1, -1, (PointerPointer<?>) null, 0);
      if (index < 0) {
        throw invalid(index == AVERROR_DECODER_NOT_FOUND ? UNSUPPORTED_AUDIO : INVALID_AUDIO,
            index == AVERROR_DECODER_NOT_FOUND ? "the file's audio codec is not supported"
                : "the file has no audio stream");
      }
      AVStream stream = format.streams(index);
      refuseDeclaredLength(stream);
      AVCodec codec = avcodec_find_decoder(stream.codecpar().codec_id());
      if (codec == null || codec.isNull()) {
        throw invalid(UNSUPPORTED_AUDIO, "the file's audio codec is not supported");
      }
      decoder = avcodec_alloc_context3(codec);
      check(avcodec_parameters_to_context(decoder, stream.codecpar()), "reading the codec parameters");
      decoder.pkt_timebase(stream.time_base());
      decoder.thread_count(1); // the worker thread is the decoding thread
      rc = avcodec_open2(decoder, codec, (AVDictionary) null);
      if (rc < 0) {
        throw invalid(UNSUPPORTED_AUDIO, "the " + codec.name().getString() + " audio could not be decoded: "
            + Ffmpeg.error(rc));
      }
      packet = av_packet_alloc();
      frame = av_frame_alloc();
      while ((rc = av_read_frame(format, packet)) >= 0) {
        try {
          if (packet.stream_index() == index) {
            send(packet);
          }
        } finally {
          av_packet_unref(packet);
        }
      }
      if (rc != AVERROR_EOF && count == 0) {
        throw invalid(INVALID_AUDIO, "the file could not be read: " + Ffmpeg.error(rc));
      }
      send(null);
      if (resampler != null) {
        convert(null, 0); // what the resampler still holds
      }
      if (count == 0) {
        throw invalid(INVALID_AUDIO, "the file has no decodable audio"
            + (badPackets > 0 ? " (" + badPackets + " damaged packets)" : ""));
      }
      return new DecodedAudio(Arrays.copyOf(samples, count), format.iformat().name().getString(),
          codec.name().getString());
    }

    /** Refuses a file whose container or stream says it is longer than the limit. */
    private void refuseDeclaredLength(AVStream stream) {
      double seconds = -1;
      if (format.duration() != AV_NOPTS_VALUE && format.duration() > 0) {
        seconds = format.duration() / (double) AV_TIME_BASE;
      }
      if (stream.duration() != AV_NOPTS_VALUE && stream.duration() > 0) {
        seconds = Math.max(seconds, stream.duration() * av_q2d(stream.time_base()));
      }
      if (seconds * SAMPLE_RATE > maxSamples) {
        throw tooLong(seconds);
      }
    }

    /** Sends a packet (null: the end) to the decoder and takes every frame it has ready. */
    private void send(AVPacket p) {
      int rc = avcodec_send_packet(decoder, p);
      if (rc < 0 && rc != AVERROR_EOF) {
        badPackets++; // a damaged packet: skip it, as the ffmpeg CLI does
        return;
      }
      while ((rc = avcodec_receive_frame(decoder, frame)) >= 0) {
        try {
          convert(frame, frame.nb_samples());
        } finally {
          av_frame_unref(frame);
        }
      }
      if (rc != Ffmpeg.AVERROR_EAGAIN && rc != AVERROR_EOF) {
        badPackets++;
      }
    }

    /** Mixes down and resamples {@code f} (null: flush) and appends the result. */
    private void convert(AVFrame f, int n) {
      if (f != null && (resampler == null || f.format() != resamplerFormat || f.sample_rate() != resamplerRate
          || f.ch_layout().nb_channels() != resamplerChannels)) {
        if (resampler != null) {
          convert(null, 0);
          swr_free(resampler);
          resampler = null;
        }
        openResampler(f);
      }
      int room = (int) av_rescale_rnd(swr_get_delay(resampler, resamplerRate) + n, SAMPLE_RATE, resamplerRate,
          AV_ROUND_UP) + 16;
      if (out == null || out.capacity() < room) {
        if (out != null) {
          out.close();
          outPlanes.close();
        }
        out = new FloatPointer(Math.max(room, 8192));
        outPlanes = new PointerPointer<FloatPointer>(1).put(0, out); // (not new PointerPointer(out): that is a cast)
      }
      int got = swr_convert(resampler, outPlanes, room,
          f == null ? null : f.extended_data(), n);
      if (got < 0) {
        throw invalid(INVALID_AUDIO, "the audio could not be converted: " + Ffmpeg.error(got));
      }
      if (count + (long) got > maxSamples) {
        throw tooLong(-1);
      }
      if (count + got > samples.length) {
        samples = Arrays.copyOf(samples, (int) Math.min(maxSamples, Math.max(count + (long) got,
            samples.length * 2L)));
      }
      out.get(samples, count, got);
      count += got;
    }

    private void openResampler(AVFrame f) {
      if (f.sample_rate() <= 0 || f.ch_layout().nb_channels() <= 0) {
        throw invalid(INVALID_AUDIO, "the audio has no sample rate or channels");
      }
      SwrContext s = new SwrContext(null);
      int rc = swr_alloc_set_opts2(s, mono, AV_SAMPLE_FMT_FLT, SAMPLE_RATE, f.ch_layout(), f.format(),
          f.sample_rate(), 0, null);
      if (rc >= 0) {
        resampler = s;
        rc = swr_init(s);
      }
      if (rc < 0) {
        throw invalid(UNSUPPORTED_AUDIO, "audio of " + f.ch_layout().nb_channels() + " channels at "
            + f.sample_rate() + " Hz in " + av_get_sample_fmt_name(f.format()).getString()
            + " cannot be converted: " + Ffmpeg.error(rc));
      }
      resamplerFormat = f.format();
      resamplerRate = f.sample_rate();
      resamplerChannels = f.ch_layout().nb_channels();
    }

    private void check(int rc, String what) {
      if (rc < 0) {
        throw invalid(INVALID_AUDIO, what + ": " + Ffmpeg.error(rc));
      }
    }

    @Override
    public void close() {
      if (resampler != null) {
        swr_free(resampler);
      }
      if (out != null) {
        out.close();
        outPlanes.close();
      }
      if (frame != null) {
        av_frame_free(frame);
      }
      if (packet != null) {
        av_packet_free(packet);
      }
      if (decoder != null) {
        avcodec_free_context(decoder);
      }
      if (format != null) {
        if (format.iformat() != null && !format.iformat().isNull()) {
          avformat_close_input(format);
        } else {
          avformat_free_context(format);
        }
      }
      av_channel_layout_uninit(mono);
      mono.close();
    }
  }
}
