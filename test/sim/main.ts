// Run the simulator as its own process (e.g. as a benchmark upstream):
//   npx tsx test/sim/main.ts '{"keys":{"k1":{},"k2":{"rpm":60}},"port":8787}'   (or a path to a JSON file)
// Prints one JSON line {"url": "..."} when listening; stops on SIGINT/SIGTERM.
import { readFileSync } from 'node:fs';
import { startSimulator, type SimulatorOptions } from './server.js';

const arg = process.argv[2] ?? process.env.SIM_CONFIG ?? '{"keys":{"sim-key":{}}}';
const opts = JSON.parse(arg.trimStart().startsWith('{') ? arg : readFileSync(arg, 'utf8')) as SimulatorOptions;
const sim = await startSimulator({ record: false, ...opts });
process.stdout.write(`${JSON.stringify({ url: sim.url })}\n`);
const stop = (): void => {
  void sim.close().then(() => process.exit(0));
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
