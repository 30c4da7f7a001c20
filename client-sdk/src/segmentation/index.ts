// Member-side segmentation: ONNX nearest-centroid export and scoring, local membership-change reports.
export * from './onnx-centroids.ts';
export * from './membership-changes.ts';
export * from './score-segments.ts';
export * from './model-file.ts';
