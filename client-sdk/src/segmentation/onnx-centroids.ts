// Runs a segmentation model's nearest-centroid graph (core/src/onnx/segment-graph.ts) locally with onnxruntime-node.
import * as ort from 'onnxruntime-node';
import { ConsortError, SEGMENT_ONNX_IO, readSegmentModel, type SegmentModel } from '@consort/core';

/** One scored customer: segment id and name, and the distance to the segment's centroid. */
export interface SegmentScore {
  segment: number;
  name: string;
  distance: number;
}

/** Runs an exported segmentation graph locally (onnxruntime-node). */
export class SegmentScorer {
  private constructor(private readonly session: ort.InferenceSession, readonly model: SegmentModel) {}

  /** Loads the graph and its metadata. */
  static async create(bytes: Uint8Array): Promise<SegmentScorer> {
    const model = readSegmentModel(bytes);
    return new SegmentScorer(await ort.InferenceSession.create(bytes, { graphOptimizationLevel: 'all', intraOpNumThreads: 1 }), model);
  }

  /** Scores rows of RAW values (NaN = missing): segment id, name and distance per row. */
  async score(rows: ReadonlyArray<ArrayLike<number>>): Promise<SegmentScore[]> {
    const F = this.model.features.names.length;
    if (rows.length === 0) return [];
    const flat = new Float64Array(rows.length * F);
    rows.forEach((r, i) => {
      if (r.length !== F) throw new ConsortError('DATA_INVALID', `row ${i + 1} has ${r.length} values; the segment model expects ${F} (${this.model.features.names.join(', ')})`, { row: i + 1 });
      flat.set(Array.from(r), i * F);
    });
    const out = await this.session.run({ [SEGMENT_ONNX_IO.numeric]: new ort.Tensor('float64', flat, [rows.length, F]) });
    const seg = out[SEGMENT_ONNX_IO.segment].data as BigInt64Array;
    const dist = out[SEGMENT_ONNX_IO.distance].data as Float64Array;
    return Array.from(seg, (s, i) => ({ segment: Number(s), name: this.model.names[Number(s)], distance: dist[i] }));
  }

  /** Frees the onnxruntime session. */
  async release(): Promise<void> {
    await this.session.release();
  }
}
