import type { Bindings, ChildLoggerOptions, Level, LevelWithSilentOrString, Logger } from 'pino';

type LogArgs = unknown[];
type LogMethod = (...args: LogArgs) => void;

/**
 * A child logger that is only built when it first writes a line. Requests, turns and tool calls
 * each get a child with their ids; pino builds a child eagerly (its bindings serialised, its level
 * methods set up), which is wasted on the many that never log at LOG_LEVEL=warn. This one keeps its
 * parent and bindings, answers level checks from its parent, and on the first enabled call becomes
 * `parent.child(bindings)` — so a line it writes is exactly the line the eager child would have
 * written, with every binding of the chain.
 */
class LazyLogger {
  private readonly parent: Logger | LazyLogger;
  private readonly own: Bindings;
  /** The nearest real logger up the chain: its level is this one's until this one is built. */
  private readonly source: Logger;
  private built: Logger | undefined;

  constructor(parent: Logger | LazyLogger, bindings: Bindings) {
    this.parent = parent;
    this.own = bindings;
    this.source = parent instanceof LazyLogger ? (parent.built ?? parent.source) : parent;
  }

  get real(): Logger {
    if (this.built === undefined) {
      const parent = this.parent instanceof LazyLogger ? this.parent.real : this.parent;
      this.built = parent.child(this.own);
    }
    return this.built;
  }

  get level(): LevelWithSilentOrString {
    return (this.built ?? this.source).level;
  }

  set level(level: LevelWithSilentOrString) {
    this.real.level = level;
  }

  isLevelEnabled(level: LevelWithSilentOrString): boolean {
    return (this.built ?? this.source).isLevelEnabled(level);
  }

  child(bindings: Bindings, options?: ChildLoggerOptions): Logger {
    // Options (a level, serializers) change how lines are made: such a child is made at once.
    if (options !== undefined && Object.keys(options).length > 0) return this.real.child(bindings, options);
    return new LazyLogger(this, bindings) as unknown as Logger;
  }

  bindings(): Bindings {
    return this.real.bindings();
  }

  setBindings(bindings: Bindings): void {
    this.real.setBindings(bindings);
  }

  flush(cb?: (err?: Error) => void): void {
    this.source.flush(cb);
  }

  fatal(...args: LogArgs): void {
    this.write('fatal', args);
  }
  error(...args: LogArgs): void {
    this.write('error', args);
  }
  warn(...args: LogArgs): void {
    this.write('warn', args);
  }
  info(...args: LogArgs): void {
    this.write('info', args);
  }
  debug(...args: LogArgs): void {
    this.write('debug', args);
  }
  trace(...args: LogArgs): void {
    this.write('trace', args);
  }
  silent(): void {}

  private write(level: Level, args: LogArgs): void {
    if (!(this.built ?? this.source).isLevelEnabled(level)) return;
    const real = this.real;
    (real[level] as unknown as LogMethod).apply(real, args);
  }
}

/**
 * `parent.child(bindings)`, built only when it first writes a line (or is asked for its bindings).
 * Only the logger methods this service uses are there: level methods, `child`, `isLevelEnabled`,
 * `level`, `bindings`, `setBindings`, `flush`.
 */
export function lazyChild(parent: Logger, bindings: Bindings): Logger {
  const lazy = parent as unknown as Logger | LazyLogger;
  return new LazyLogger(lazy, bindings) as unknown as Logger;
}

/** Fastify's `childLoggerFactory`: the per-request logger, lazy unless the route sets log options. */
export function lazyRequestLogger(logger: Logger, bindings: Bindings, options: ChildLoggerOptions): Logger {
  if (options.level !== undefined || options.serializers !== undefined)
    return logger.child(bindings, options);
  return lazyChild(logger, bindings);
}
