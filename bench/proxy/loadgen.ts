// The load generator's parent side: one child process (load.ts), pinned apart from the servers, fed jobs over IPC.
import type { ChildProcess } from 'node:child_process';
import type { LoadJob, LoadResult } from './load.js';
import { ROOT, spawnNode } from './servers.js';

export class LoadGen {
  #child: ChildProcess;
  #next = 0;
  #waiting = new Map<number, { resolve: (r: never) => void; reject: (e: Error) => void }>();
  readonly ready: Promise<void>;

  constructor(cpu: number | undefined) {
    this.#child = spawnNode(cpu, ['--import', 'tsx', 'bench/proxy/load.ts'], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.ready = new Promise((resolve, reject) => {
      this.#child.on('message', (m: { ready?: boolean; id?: number; result?: never; error?: string }) => {
        if (m.ready) return resolve();
        const w = this.#waiting.get(m.id!);
        this.#waiting.delete(m.id!);
        if (m.error) w?.reject(new Error(m.error));
        else w?.resolve(m.result!);
      });
      this.#child.once('exit', (code) => {
        const e = new Error(`load generator exited (${code})`);
        reject(e);
        for (const w of this.#waiting.values()) w.reject(e);
      });
    });
  }

  run(job: LoadJob): Promise<LoadResult> {
    return this.#ask({ job });
  }

  /** Open-loop jobs paced in one window, their requests interleaved (load.ts runPacedTogether). */
  together(jobs: LoadJob[]): Promise<LoadResult[]> {
    return this.#ask({ together: jobs });
  }

  #ask<T>(msg: { job?: LoadJob; together?: LoadJob[] }): Promise<T> {
    const id = ++this.#next;
    return new Promise<T>((resolve, reject) => {
      this.#waiting.set(id, { resolve: resolve as (r: never) => void, reject });
      this.#child.send({ id, ...msg });
    });
  }

  stop(): void {
    this.#child.disconnect();
  }
}
