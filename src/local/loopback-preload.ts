/**
 * Preloaded (`node --import`) into emulator processes that cannot be told where to listen: kinesis-local
 * (kinesis-mock) binds every interface with no option to change it. Turns a TCP listen on "every
 * interface" (no host, 0.0.0.0 or ::) into a listen on 127.0.0.1, so a local emulator, which accepts any
 * credentials, is never reachable from the network. Unix sockets and explicit hosts are left alone.
 */
import net from 'node:net';

const LOOPBACK = '127.0.0.1';
const EVERY_INTERFACE = new Set<unknown>([undefined, null, '', '0.0.0.0', '::', '::0']);
const listen = net.Server.prototype.listen;

function isPort(value: unknown): boolean {
  return typeof value === 'number' || (typeof value === 'string' && /^\d+$/.test(value));
}

net.Server.prototype.listen = function listenOnLoopback(this: net.Server, ...args: unknown[]): net.Server {
  const first = args[0];
  if (first !== null && typeof first === 'object' && 'port' in first) {
    const options = first as net.ListenOptions;
    if (EVERY_INTERFACE.has(options.host)) args[0] = { ...options, host: LOOPBACK };
  } else if (isPort(first)) {
    // listen(port[, host][, backlog][, callback])
    if (typeof args[1] === 'string') {
      if (EVERY_INTERFACE.has(args[1])) args[1] = LOOPBACK;
    } else {
      args.splice(1, 0, LOOPBACK);
    }
  }
  return (listen as (...a: unknown[]) => net.Server).apply(this, args);
} as typeof listen;
