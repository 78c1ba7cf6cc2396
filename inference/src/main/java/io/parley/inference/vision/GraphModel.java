package io.parley.inference.vision;

import java.nio.FloatBuffer;
import java.util.List;

/**
 * The detector graphs Parley bundles (TensorFlow.js graphs that {@code ./parley models} fetches), and
 * what each needs around its forward pass: its folder under the models directory, its square input,
 * the graph nodes to run, how a photo becomes its input and how its outputs become objects.
 */
public enum GraphModel {

  /** NanoDet-m, COCO, 416x416 ({@link NanoDet}). */
  NANODET("nanodet-m", "nanodet", NanoDet.SIZE, List.of()) {
    @Override
    Letterbox prepare(RgbImage image, float[] out, int offset) {
      return NanoDet.preprocessChannelsLast(image, out, offset);
    }

    @Override
    List<Detection> decode(FloatBuffer[] outputs, int image, int n, Letterbox box, float score, float iou) {
      return NanoDet.decode(outputs, image, n, box, score, iou);
    }
  },

  /** A MobileNetV3 CenterNet, COCO, 512x512 ({@link CenterNet}). */
  CENTERNET("centernet-mobilenetv3", "centernet", CenterNet.SIZE, CenterNet.OUTPUTS) {
    @Override
    Letterbox prepare(RgbImage image, float[] out, int offset) {
      return CenterNet.preprocess(image, out, offset);
    }

    @Override
    List<Detection> decode(FloatBuffer[] outputs, int image, int n, Letterbox box, float score, float iou) {
      return CenterNet.decode(outputs[0], outputs[1], image, box, score, iou);
    }
  };

  private final String modelName;
  private final String directory;
  private final int side;
  private final List<String> outputs;

  GraphModel(String modelName, String directory, int side, List<String> outputs) {
    this.modelName = modelName;
    this.directory = directory;
    this.side = side;
    this.outputs = outputs;
  }

  /** The name answers carry ({@code model.name}). */
  public String modelName() {
    return modelName;
  }

  /** Its folder under the models directory (holding model.json and the weights). */
  public String directory() {
    return directory;
  }

  /** The input's side in pixels. */
  public int side() {
    return side;
  }

  /** The graph nodes to run, in the order {@link #decode} reads them (empty: the graph's signature outputs). */
  public List<String> outputs() {
    return outputs;
  }

  /** Letterboxes {@code image} into {@code out} at {@code offset}: side x side x 3 values, channels-last. */
  abstract Letterbox prepare(RgbImage image, float[] out, int offset);

  /** The objects of image {@code image} of a batch of {@code n}, from the outputs of one pass. */
  abstract List<Detection> decode(FloatBuffer[] outputs, int image, int n, Letterbox box, float score, float iou);
}
