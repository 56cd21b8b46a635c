/**
 * A collector process of ProcessLink (link.ts): owns one env on the train
 * split and a copy of the policy; runs the episodes the learner assigns with
 * the latest weights it was sent, and sends each finished episode back.
 */
import { initBackend } from '../tf/node.js';
import { Collector, type FromCollector, type ToCollector } from './link.js';

if (!process.send) throw new Error('collector runs only as a child process forked by the training link');

function post(message: FromCollector): void {
  // A learner that quit mid-episode has closed the channel: the callback takes the EPIPE that would otherwise crash us with a stack trace.
  if (process.connected) process.send!(message, undefined, {}, (err) => err && process.exit(0));
}

// The learner is gone (finished, or killed): nothing is left to collect for.
process.on('disconnect', () => process.exit(0));
// Ctrl-C reaches the whole process group; the learner decides when collectors stop (it checkpoints first).
process.on('SIGINT', () => {});

let collector: Collector | null = null;
// Messages are handled one at a time, in arrival order, so weights sent before an episode request apply to it.
let queue = Promise.resolve();

process.on('message', (msg: ToCollector) => {
  queue = queue
    .then(async () => {
      if (msg.type === 'init') {
        await initBackend();
        collector = await Collector.create(msg.config, msg.scene);
        collector.setWeights(msg.weights);
        post({ type: 'ready' });
      } else if (msg.type === 'weights') {
        collector?.setWeights(msg.weights);
      } else if (msg.type === 'episode') {
        if (!collector) throw new Error('episode before init');
        post({ type: 'episode', episode: await collector.run(msg.request) });
      } else {
        collector?.close();
        process.disconnect();
      }
    })
    .catch((err: unknown) => post({ type: 'error', message: err instanceof Error ? err.message : String(err) }));
});
