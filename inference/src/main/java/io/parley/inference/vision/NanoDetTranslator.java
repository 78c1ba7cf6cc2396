package io.parley.inference.vision;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.translate.NoBatchifyTranslator;
import ai.djl.translate.TranslatorContext;
import io.parley.core.ParleyException;
import io.parley.core.ParleyException.Reason;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * NanoDet-m's pre- and post-processing as a DJL translator, around the graph's forward pass: a batch
 * of photos in, letterboxed to 416x416 and scaled to [0, 1] channels-last in one buffer this
 * translator reuses (so one translator per predictor, one predictor per worker thread); per photo
 * its objects out: distributions decoded to boxes, the score threshold, class-wise NMS and the boxes
 * mapped back to the photo's pixels ({@link NanoDet#decode}). The batch is the translator's input
 * (the detector's queue forms it), so no batchifier.
 */
final class NanoDetTranslator implements NoBatchifyTranslator<List<RgbImage>, NanoDetTranslator.Output> {

  /**
   * Per photo its objects, best first, with where the time went: letterboxing the batch, the
   * forward pass, and decoding each photo.
   */
  record Output(List<List<Detection>> objects, long prepareNanos, long inferNanos, long[] decodeNanos) {}

  private static final String LETTERBOXES = "letterboxes";
  private static final String PREPARED = "prepared";

  private final float scoreThreshold;
  private final float iouThreshold;
  /** Grown to the largest batch: a fresh 2 MB array per photo is a G1 humongous object. */
  private float[] input = new float[0];

  NanoDetTranslator(float scoreThreshold, float iouThreshold) {
    this.scoreThreshold = scoreThreshold;
    this.iouThreshold = iouThreshold;
  }

  @Override
  public NDList processInput(TranslatorContext ctx, List<RgbImage> images) {
    long t0 = System.nanoTime();
    int n = images.size();
    if (n == 0) {
      throw new IllegalArgumentException("no photos");
    }
    int plane = 3 * NanoDet.SIZE * NanoDet.SIZE;
    if (input.length < n * plane) {
      input = new float[n * plane];
    }
    NanoDet.Letterbox[] boxes = new NanoDet.Letterbox[n];
    for (int i = 0; i < n; i++) {
      boxes[i] = NanoDet.preprocessChannelsLast(images.get(i), input, i * plane);
    }
    NDArray x = GraphExecutor.nhwcInput(input, new Shape(n, 3, NanoDet.SIZE, NanoDet.SIZE), ctx.getNDManager());
    ctx.setAttachment(LETTERBOXES, boxes);
    ctx.setAttachment(PREPARED, new long[] {t0, System.nanoTime()});
    return new NDList(x);
  }

  @Override
  public Output processOutput(TranslatorContext ctx, NDList outputs) {
    NanoDet.Letterbox[] boxes = (NanoDet.Letterbox[]) ctx.getAttachment(LETTERBOXES);
    long[] prepared = (long[]) ctx.getAttachment(PREPARED);
    int n = boxes.length;
    FloatBuffer[] scores = new FloatBuffer[NanoDet.STRIDES.length];
    FloatBuffer[] sides = new FloatBuffer[NanoDet.STRIDES.length];
    for (NDArray o : outputs) {
      // Read in place (a contiguous copy in native memory when the output is a permuted view; it is
      // freed with the prediction's arrays): ~1.8 MB per photo copied into the Java heap per pass
      // made G1 start a concurrent cycle for nearly every young collection (humongous arrays).
      ByteBuffer bytes = o instanceof PtNDArray pt ? pt.toByteBuffer(true) : o.toByteBuffer();
      sort(bytes.order(ByteOrder.nativeOrder()).asFloatBuffer(), n, scores, sides);
    }
    long inferred = System.nanoTime();
    List<List<Detection>> objects = new ArrayList<>(n);
    long[] decode = new long[n];
    for (int i = 0; i < n; i++) {
      long t0 = System.nanoTime();
      objects.add(NanoDet.decode(scores, sides, i, boxes[i], scoreThreshold, iouThreshold, NanoDet.COCO));
      decode[i] = System.nanoTime() - t0;
    }
    return new Output(objects, prepared[1] - prepared[0], inferred - prepared[1], decode);
  }

  /** Places an output by its size: [n, cells, 80] scores or [n, cells, 44] sides, cells giving the stride. */
  private static void sort(FloatBuffer o, int n, FloatBuffer[] scores, FloatBuffer[] sides) {
    for (int s = 0; s < NanoDet.STRIDES.length; s++) {
      int grid = NanoDet.SIZE / NanoDet.STRIDES[s];
      int cells = grid * grid;
      if (o.remaining() == n * cells * NanoDet.CLASSES) {
        scores[s] = o;
        return;
      }
      if (o.remaining() == n * cells * 4 * NanoDet.BINS) {
        sides[s] = o;
        return;
      }
    }
    throw new ParleyException(Reason.INTERNAL, "unexpected model output of " + o.remaining() + " values");
  }
}
