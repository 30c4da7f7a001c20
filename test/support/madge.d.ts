// The part of madge's API the import-circle check uses (madge ships no types).
declare module 'madge' {
  interface MadgeConfig {
    fileExtensions?: string[];
    tsConfig?: string;
    excludeRegExp?: RegExp[];
  }
  interface MadgeInstance {
    /** Module -> the modules it imports, paths relative to the scanned folder. */
    obj(): Record<string, string[]>;
    /** Every import circle, each as the modules on it. */
    circular(): string[][];
  }
  export default function madge(path: string | string[], config?: MadgeConfig): Promise<MadgeInstance>;
}
