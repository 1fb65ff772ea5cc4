/**
 * What a switch of one `nginx_upstream` needs on this machine: a blue and a green BIND serving
 * `example.test` (serials 1 and 2), each on a loopback address of its own, and a private nginx
 * with a third address for its load balancer. `stop` takes everything down again.
 */
import { startBind, zone, type BindServer } from './bind.js';
import { addLoopbackAddress, type LoopbackAddress } from './loopback.js';
import { startNginx, type NginxServer } from './nginx.js';

export interface SwitchRig {
  readonly blue: BindServer;
  readonly green: BindServer;
  readonly nginx: NginxServer;
  /** The load balancer's address. */
  readonly lb: string;
  stop(): Promise<void>;
}

export async function startSwitchRig(): Promise<SwitchRig> {
  const addresses: LoopbackAddress[] = [];
  const started: { stop(): Promise<void> }[] = [];
  const stop = async (): Promise<void> => {
    for (const s of started.reverse()) await s.stop();
    for (const a of addresses) await a.remove();
  };
  try {
    for (let i = 0; i < 3; i++) addresses.push(await addLoopbackAddress());
    const blue = await startBind({ address: addresses[0].address, zones: [zone('example.test', 1)] });
    started.push(blue);
    const green = await startBind({ address: addresses[1].address, zones: [zone('example.test', 2)] });
    started.push(green);
    const nginx = await startNginx();
    started.push(nginx);
    return { blue, green, nginx, lb: addresses[2].address, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}
