import { pino, type Logger } from 'pino';
import pinoPretty from 'pino-pretty';

/**
 * The server's logger. A pipe or a file gets JSON lines, written synchronously, each at once (pino's
 * asynchronous writer costs more CPU per line: bench:logline; a line written is never lost in a crash). A human
 * on a terminal gets readable, coloured lines instead: there speed is no concern, and JSON is hard to read.
 */
export function defaultLogger(level: string, tty = process.stdout.isTTY === true): Logger {
  if (tty) {
    return pino({ level, base: undefined }, pinoPretty({ colorize: true, sync: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname', destination: 1 }));
  }
  return pino({ level, base: undefined }, pino.destination({ dest: 1, sync: true }));
}
