import type { ExplainRecorder } from './explain-notes.js';
import type { Diagnostic, Severity } from './model.js';

/** Collects diagnostics for one file so parsers can report and keep going. */
export class DiagnosticSink {
  readonly list: Diagnostic[] = [];
  /**
   * Set only by `explainDocument`: the parsers report their decisions to it
   * (`sink.explain?.table(…)`), so an ordinary parse collects nothing.
   */
  explain?: ExplainRecorder;
  constructor(readonly file: string) {}

  report(
    severity: Severity,
    code: string,
    message: string,
    line: number,
    column: number,
    extra: Partial<Pick<Diagnostic, 'expected' | 'actual' | 'note' | 'related'>> = {},
  ): void {
    this.list.push({ severity, code, message, file: this.file, line: Math.max(1, line), column: Math.max(1, column), ...extra });
  }
  error(code: string, message: string, line: number, column: number, extra?: Parameters<DiagnosticSink['report']>[5]): void {
    this.report('error', code, message, line, column, extra);
  }
  warn(code: string, message: string, line: number, column: number, extra?: Parameters<DiagnosticSink['report']>[5]): void {
    this.report('warning', code, message, line, column, extra);
  }
  info(code: string, message: string, line: number, column: number, extra?: Parameters<DiagnosticSink['report']>[5]): void {
    this.report('info', code, message, line, column, extra);
  }
  /** Drops the diagnostics `drop` selects (a `status-missing` made moot by a derived status). */
  retract(drop: (d: Diagnostic) => boolean): void {
    let k = 0;
    for (const d of this.list) if (!drop(d)) this.list[k++] = d;
    this.list.length = k;
  }
}

const SEVERITY_RANK: Record<Severity, number> = { error: 0, warning: 1, info: 2 };

/** Total order over diagnostics so that output is byte-identical between runs. */
export function compareDiagnostics(a: Diagnostic, b: Diagnostic): number {
  return (
    cmp(a.file, b.file) ||
    a.line - b.line ||
    a.column - b.column ||
    SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] ||
    cmp(a.code, b.code) ||
    cmp(a.message, b.message)
  );
}

export function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
