/**
 * The two ways the load generator sends queries. Both take a pre-encoded query (`template`,
 * id 0) and stamp a fresh id on it, so sending costs a buffer copy, not an encode.
 *
 * - UDP: a pool of sockets used in turn. Resolvers send each query from a new random port;
 *   spreading queries over many source ports does the same for nginx, which keys a UDP session
 *   by the client's address and port.
 * - TCP: per target, a pool of connections with pipelined queries. Connections are retired
 *   after a while (as resolvers close idle TCP), so traffic follows a load balancer's new
 *   configuration instead of staying on an old worker's connection forever.
 * - Persistent TCP: connections kept open for the whole run, as resolvers keep them (RFC 7766),
 *   so a switch has to move clients that never leave by themselves.
 */
import dgram from 'node:dgram';
import net from 'node:net';

/** Where queries go. */
export interface Endpoint {
  readonly host: string;
  readonly port: number;
  readonly text: string;
}

/** One try of a query; `forget` (set by the transport) drops it from the transport's books. */
export interface Attempt {
  readonly deadline: number;
  /** A retry of a try that got no answer (a transport may send it differently). */
  readonly retry?: boolean;
  done: boolean;
  forget: () => void;
}

/** What a transport reports back: an answer to an attempt, or that the attempt cannot succeed. */
export interface TransportEvents<A extends Attempt> {
  answer(attempt: A, message: Buffer): void;
  fail(attempt: A): void;
}

/** Sends tries; answers and failures come back through `TransportEvents`. `close` drops whatever is pending. */
export interface Transport<A extends Attempt> {
  send(attempt: A, target: Endpoint): void;
  close(): void;
}

/** UDP: `socketCount` unconnected sockets, ids per socket, answers matched by (socket, id). */
export class UdpTransport<A extends Attempt> implements Transport<A> {
  private readonly sockets: dgram.Socket[] = [];
  private readonly nextIds: Uint16Array;
  private readonly pending = new Map<number, A>();
  private turn = 0;

  constructor(
    private readonly template: Buffer,
    private readonly events: TransportEvents<A>,
    socketCount = 32,
  ) {
    this.nextIds = new Uint16Array(socketCount);
    for (let i = 0; i < socketCount; i++) {
      this.nextIds[i] = Math.floor(Math.random() * 65536);
      const socket = dgram.createSocket('udp4');
      // An ICMP error on one send must not kill the run; the try times out instead.
      socket.on('error', () => undefined);
      socket.on('message', (msg) => this.receive(i, msg));
      this.sockets.push(socket);
    }
  }

  send(attempt: A, target: Endpoint): void {
    const index = this.turn++ % this.sockets.length;
    let id = this.nextIds[index]++;
    let key = index * 65536 + id;
    while (this.pending.has(key)) {
      id = this.nextIds[index]++;
      key = index * 65536 + id;
    }
    const message = Buffer.from(this.template);
    message.writeUInt16BE(id, 0);
    this.pending.set(key, attempt);
    attempt.forget = () => this.pending.delete(key);
    this.sockets[index].send(message, target.port, target.host, (err) => {
      if (err && this.pending.get(key) === attempt) {
        this.pending.delete(key);
        this.events.fail(attempt);
      }
    });
  }

  private receive(index: number, message: Buffer): void {
    if (message.length < 12) return;
    const key = index * 65536 + message.readUInt16BE(0);
    const attempt = this.pending.get(key);
    if (!attempt) return;
    this.pending.delete(key);
    this.events.answer(attempt, message);
  }

  close(): void {
    for (const s of this.sockets) s.close();
    this.pending.clear();
  }
}

interface TcpConnection<A extends Attempt> {
  readonly socket: net.Socket;
  readonly pending: Map<number, A>;
  readonly openedAt: number;
  sent: number;
  nextId: number;
  draining: boolean;
  closed: boolean;
  buffered: Buffer;
}

/** How the TCP transport keeps and retires its connections. */
export interface TcpPoolOptions {
  /** Connections kept open per target. */
  readonly connectionsPerTarget: number;
  /** A connection takes no new queries after this many ... */
  readonly queriesPerConnection: number;
  /** ... or after this long, and closes once its answers are in. */
  readonly connectionLifetimeMs: number;
}

/** TCP: a pool of pipelining connections per target. */
export class TcpTransport<A extends Attempt> implements Transport<A> {
  private readonly pools = new Map<string, TcpConnection<A>[]>();
  private turn = 0;
  private closing = false;

  constructor(
    private readonly template: Buffer,
    private readonly events: TransportEvents<A>,
    private readonly options: TcpPoolOptions = { connectionsPerTarget: 4, queriesPerConnection: 500, connectionLifetimeMs: 1000 },
  ) {}

  send(attempt: A, target: Endpoint): void {
    const conn = this.pick(target);
    let id = conn.nextId++ & 0xffff;
    while (conn.pending.has(id)) id = conn.nextId++ & 0xffff;
    const frame = Buffer.alloc(2 + this.template.length);
    frame.writeUInt16BE(this.template.length, 0);
    this.template.copy(frame, 2);
    frame.writeUInt16BE(id, 2);
    conn.pending.set(id, attempt);
    attempt.forget = () => {
      conn.pending.delete(id);
      this.retireIfIdle(conn);
    };
    conn.sent++;
    conn.socket.write(frame);
    if (conn.sent >= this.options.queriesPerConnection) conn.draining = true;
  }

  private pick(target: Endpoint): TcpConnection<A> {
    let pool = this.pools.get(target.text);
    if (!pool) {
      pool = [];
      this.pools.set(target.text, pool);
    }
    const now = performance.now();
    for (const c of pool) {
      if (!c.draining && now - c.openedAt > this.options.connectionLifetimeMs) {
        c.draining = true;
        this.retireIfIdle(c);
      }
    }
    const usable = pool.filter((c) => !c.draining && !c.closed);
    if (usable.length < this.options.connectionsPerTarget) {
      const conn = this.open(target, pool);
      return conn;
    }
    return usable[this.turn++ % usable.length];
  }

  private open(target: Endpoint, pool: TcpConnection<A>[]): TcpConnection<A> {
    const socket = net.connect({ host: target.host, port: target.port });
    socket.setNoDelay(true);
    const conn: TcpConnection<A> = {
      socket,
      pending: new Map(),
      openedAt: performance.now(),
      sent: 0,
      nextId: Math.floor(Math.random() * 65536),
      draining: false,
      closed: false,
      buffered: Buffer.alloc(0),
    };
    pool.push(conn);
    socket.on('data', (chunk: Buffer) => this.receive(conn, chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      conn.closed = true;
      const at = pool.indexOf(conn);
      if (at >= 0) pool.splice(at, 1);
      const orphans = [...conn.pending.values()];
      conn.pending.clear();
      for (const a of orphans) this.events.fail(a);
    });
    return conn;
  }

  private receive(conn: TcpConnection<A>, chunk: Buffer): void {
    conn.buffered = conn.buffered.length === 0 ? chunk : Buffer.concat([conn.buffered, chunk]);
    while (conn.buffered.length >= 2) {
      const length = conn.buffered.readUInt16BE(0);
      if (conn.buffered.length < 2 + length) break;
      const message = conn.buffered.subarray(2, 2 + length);
      conn.buffered = conn.buffered.subarray(2 + length);
      if (message.length < 12) continue;
      const id = message.readUInt16BE(0);
      const attempt = conn.pending.get(id);
      if (!attempt) continue;
      conn.pending.delete(id);
      this.events.answer(attempt, message);
    }
    this.retireIfIdle(conn);
  }

  private retireIfIdle(conn: TcpConnection<A>): void {
    if ((conn.draining || this.closing) && conn.pending.size === 0 && !conn.closed) conn.socket.end();
  }

  close(): void {
    this.closing = true;
    for (const pool of this.pools.values()) for (const c of pool) c.socket.destroy();
    this.pools.clear();
  }
}

/** How the persistent TCP transport behaves (see `PersistentTcpTransport`). */
export interface PersistentTcpOptions {
  /** Connections kept open per target; a connection that closes is replaced by the next query. */
  readonly connectionsPerTarget: number;
  /**
   * Honour the server's edns-tcp-keepalive (RFC 7828): a response whose option says TIMEOUT 0
   * makes the connection take no new queries and close once its answers are in. The template
   * must then carry the option (an OPT record with an empty edns-tcp-keepalive).
   */
  readonly honourKeepalive: boolean;
}

/** A connection of the persistent pool. */
interface PersistentConnection<A extends Attempt> {
  readonly socket: net.Socket;
  readonly pending: Map<number, A>;
  nextId: number;
  /** Takes no new queries (the server asked it to close, or a fresh one replaced it). */
  closing: boolean;
  closed: boolean;
  buffered: Buffer;
}

/**
 * TCP as a resolver keeps it (RFC 7766): per target, `connectionsPerTarget` connections that
 * stay open for the whole run, queries sent back to back on them (pipelined, answers matched by
 * id), never closed by the client for age or count. A connection the server (or a proxy) closes
 * fails the queries it still had outstanding, and the next query opens a new one. A retry
 * (`attempt.retry`) goes out on a connection opened for it, never on one that may be on its way
 * out, as a resolver retries on a fresh connection.
 */
export class PersistentTcpTransport<A extends Attempt> implements Transport<A> {
  private readonly pools = new Map<string, PersistentConnection<A>[]>();
  /**
   * Round-robin position per target: one counter shared by all targets would, with queries
   * alternating between two targets, give each target only every other connection - and leave
   * the rest idle until the proxy's idle timeout closes them.
   */
  private readonly turns = new Map<string, number>();
  private shut = false;
  /** Connections opened over the run, and closed by the other side (for reports and tests). */
  opened = 0;
  closedByPeer = 0;

  constructor(
    private readonly template: Buffer,
    private readonly events: TransportEvents<A>,
    private readonly options: PersistentTcpOptions,
  ) {}

  send(attempt: A, target: Endpoint): void {
    if (this.shut) return;
    const pool = this.poolOf(target);
    const usable = pool.filter((c) => !c.closing && !c.closed);
    let conn: PersistentConnection<A>;
    if (attempt.retry || usable.length < this.options.connectionsPerTarget) {
      conn = this.open(target, pool);
      // A fresh connection for a retry takes the place of the oldest one, which finishes its
      // answers and closes (the client's close: nothing outstanding is lost).
      if (usable.length >= this.options.connectionsPerTarget) this.retire(usable[0]);
    } else {
      const turn = this.turns.get(target.text) ?? 0;
      this.turns.set(target.text, turn + 1);
      conn = usable[turn % usable.length];
    }
    let id = conn.nextId++ & 0xffff;
    while (conn.pending.has(id)) id = conn.nextId++ & 0xffff;
    const frame = Buffer.alloc(2 + this.template.length);
    frame.writeUInt16BE(this.template.length, 0);
    this.template.copy(frame, 2);
    frame.writeUInt16BE(id, 2);
    conn.pending.set(id, attempt);
    attempt.forget = () => {
      conn.pending.delete(id);
      if (conn.closing && conn.pending.size === 0) conn.socket.end();
    };
    conn.socket.write(frame);
  }

  private poolOf(target: Endpoint): PersistentConnection<A>[] {
    let pool = this.pools.get(target.text);
    if (!pool) {
      pool = [];
      this.pools.set(target.text, pool);
    }
    return pool;
  }

  private open(target: Endpoint, pool: PersistentConnection<A>[]): PersistentConnection<A> {
    const socket = net.connect({ host: target.host, port: target.port });
    socket.setNoDelay(true);
    const conn: PersistentConnection<A> = { socket, pending: new Map(), nextId: Math.floor(Math.random() * 65536), closing: false, closed: false, buffered: Buffer.alloc(0) };
    this.opened++;
    pool.push(conn);
    socket.on('data', (chunk: Buffer) => this.receive(conn, chunk));
    socket.on('error', () => undefined);
    // The server's FIN: what is outstanding can no longer be answered, so do not wait for the
    // timeout; closing our side lets the proxy finish too.
    socket.on('end', () => {
      this.drop(conn, pool);
      socket.end();
    });
    socket.on('close', () => this.drop(conn, pool));
    return conn;
  }

  /** Takes the connection out of the pool and fails what it still had outstanding. */
  private drop(conn: PersistentConnection<A>, pool: PersistentConnection<A>[]): void {
    if (conn.closed) return;
    conn.closed = true;
    if (!conn.closing && !this.shut) this.closedByPeer++;
    const at = pool.indexOf(conn);
    if (at >= 0) pool.splice(at, 1);
    const orphans = [...conn.pending.values()];
    conn.pending.clear();
    if (!this.shut) for (const a of orphans) this.events.fail(a);
  }

  private retire(conn: PersistentConnection<A>): void {
    conn.closing = true;
    if (conn.pending.size === 0 && !conn.closed) conn.socket.end();
  }

  private receive(conn: PersistentConnection<A>, chunk: Buffer): void {
    conn.buffered = conn.buffered.length === 0 ? chunk : Buffer.concat([conn.buffered, chunk]);
    while (conn.buffered.length >= 2) {
      const length = conn.buffered.readUInt16BE(0);
      if (conn.buffered.length < 2 + length) break;
      const message = conn.buffered.subarray(2, 2 + length);
      conn.buffered = conn.buffered.subarray(2 + length);
      if (message.length < 12) continue;
      if (this.options.honourKeepalive && !conn.closing && keepaliveTimeout(message) === 0) conn.closing = true;
      const id = message.readUInt16BE(0);
      const attempt = conn.pending.get(id);
      if (!attempt) continue;
      conn.pending.delete(id);
      this.events.answer(attempt, message);
    }
    if (conn.closing && conn.pending.size === 0 && !conn.closed) conn.socket.end();
  }

  close(): void {
    this.shut = true;
    for (const pool of this.pools.values()) for (const c of [...pool]) c.socket.destroy();
    this.pools.clear();
  }
}

/**
 * The TIMEOUT of an edns-tcp-keepalive option in a response (RFC 7828, in units of 100 ms), or
 * undefined when there is none. Walks the message's records without decoding their data.
 */
export function keepaliveTimeout(message: Buffer): number | undefined {
  try {
    const counts = [message.readUInt16BE(4), message.readUInt16BE(6), message.readUInt16BE(8), message.readUInt16BE(10)];
    let at = 12;
    const skipName = (): void => {
      for (;;) {
        const len = message[at];
        if (len === undefined) throw new RangeError('truncated');
        if ((len & 0xc0) === 0xc0) {
          at += 2;
          return;
        }
        at += 1 + len;
        if (len === 0) return;
      }
    };
    for (let i = 0; i < counts[0]; i++) {
      skipName();
      at += 4;
    }
    for (let section = 1; section < 4; section++) {
      for (let i = 0; i < counts[section]; i++) {
        skipName();
        const type = message.readUInt16BE(at);
        const rdlength = message.readUInt16BE(at + 8);
        const rdata = at + 10;
        at = rdata + rdlength;
        if (type !== 41) continue;
        for (let o = rdata; o + 4 <= rdata + rdlength; ) {
          const code = message.readUInt16BE(o);
          const len = message.readUInt16BE(o + 2);
          if (code === 11) return len >= 2 ? message.readUInt16BE(o + 4) : undefined;
          o += 4 + len;
        }
      }
    }
  } catch {
    return undefined;
  }
  return undefined;
}
