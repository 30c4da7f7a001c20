// The one shape every data source (CSV file, SQL table or query) is read through.

/** One record of a source: only the requested columns, with the row number for messages. */
export interface SourceRow {
  values: Record<string, string>;
  /** Spreadsheet row for CSV (header = row 1); 1-based result row for SQL. */
  row: number;
}

/** A readable member export. `rows(keep)` streams records holding only the `keep` columns (data minimization). */
export interface RecordSource {
  /** File path or a redacted connection description, for messages. */
  describe: string;
  /** Every column the export has, in order. */
  columns: string[];
  rows(keep: string[]): AsyncIterable<SourceRow>;
}
