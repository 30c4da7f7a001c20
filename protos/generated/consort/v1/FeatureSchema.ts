// Original file: protos/consort/v1/common.proto


export interface FeatureSchema {
  'numericFeatures'?: (string)[];
  'categoricalFeatures'?: (string)[];
  'label'?: (string);
  'protectedAttributes'?: (string)[];
}

export interface FeatureSchema__Output {
  'numericFeatures': (string)[];
  'categoricalFeatures': (string)[];
  'label': (string);
  'protectedAttributes': (string)[];
}
