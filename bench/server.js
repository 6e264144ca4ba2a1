// The peer for bench/run.js, in its own process so that its CPU and memory
// are not the client's. Raw TCP (node:net), no HTTP library: it reads request
// heads just enough to route them, counts request bodies (Content-Length or
// chunked), answers `Expect: 100-continue`, and writes pre-built responses.
//
// Pipelining: every request is handled as soon as its head (and body) is
// read, concurrently with the ones before it; responses leave in request
// order (RFC 9112 §9.3.2), each as soon as it and all before it are ready.
// A `?delay=MS` request is ready MS ms after it was read, so with N requests
// pipelined the delays overlap: one connection serves about N per delay.
//
// Routes (the path decides the response; a request body is read first):
//   /small              200, a 20-byte JSON body
//   /bytes/N            200, N bytes (N <= 16 MiB)
//   /never              no answer, ever: the connection stalls behind it
//   /trickle/N          200, N body bytes, written a few bytes at a time
//   /trickle-head/N     200, a head holding an N-byte field, empty body,
//                       written a few bytes at a time
//   any: ?delay=MS      answer after MS ms (<= 10 s)
//   trickle: ?piece=P   bytes per write (default 1), with a setImmediate
//                       between writes and Nagle off, so that each write is
//                       its own segment and, mostly, its own read
// Anything else is a 404. Bad framing closes the connection.
'use strict';
const net = require('node:net');

const MAX_HEAD = 64 * 1024;
const MAX_BYTES = 16 * 1024 * 1024;
const MAX_TRICKLE = 4 * 1024 * 1024;
const SMALL_BODY = '{"id":42,"ok":true}\n'; // 20 bytes

const CONTINUE = Buffer.from('HTTP/1.1 100 Continue\r\n\r\n');

function response(status, body, extra = '') {
  const bytes = typeof body === 'string' ? Buffer.from(body) : body;
  const reason = { 200: 'OK', 404: 'Not Found' }[status];
  const head = `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/octet-stream\r\n${extra}Content-Length: ${bytes.length}\r\n\r\n`;
  return Buffer.concat([Buffer.from(head, 'latin1'), bytes]);
}

/** Pre-built responses by path, built on first use. */
const cache = new Map();

/** A response for `path` (without its query): { bytes, trickle } or null for /never. */
function route(path) {
  let hit = cache.get(path);
  if (hit !== undefined) return hit;
  let m;
  if (path === '/small') hit = { bytes: response(200, SMALL_BODY), trickle: false };
  else if (path === '/never') hit = null;
  else if ((m = /^\/bytes\/(\d+)$/.exec(path)) && Number(m[1]) <= MAX_BYTES) {
    hit = { bytes: response(200, Buffer.alloc(Number(m[1]), 0x61)), trickle: false };
  } else if ((m = /^\/trickle\/(\d+)$/.exec(path)) && Number(m[1]) <= MAX_TRICKLE) {
    hit = { bytes: response(200, Buffer.alloc(Number(m[1]), 0x62)), trickle: true };
  } else if ((m = /^\/trickle-head\/(\d+)$/.exec(path)) && Number(m[1]) <= MAX_TRICKLE) {
    hit = { bytes: response(200, '', `X-Filler: ${'c'.repeat(Number(m[1]))}\r\n`), trickle: true };
  } else {
    hit = { bytes: response(404, 'not found\n'), trickle: false };
  }
  if (cache.size < 256) cache.set(path, hit);
  return hit;
}

function parseQuery(query) {
  let delay = 0;
  let piece = 1;
  for (const pair of query.split('&')) {
    const [k, v] = pair.split('=');
    if (k === 'delay') delay = Math.min(10_000, Math.max(0, Number(v) || 0));
    if (k === 'piece') piece = Math.min(65_536, Math.max(1, Number(v) || 1));
  }
  return { delay, piece };
}

// Request parsing states.
const HEAD = 0;
const BODY = 1; // Content-Length body: `remaining` bytes left
const CHUNK_SIZE = 2; // a chunk-size line (or a trailer line, after the last chunk)
const CHUNK_DATA = 3; // `remaining` bytes of chunk data, then its CRLF

/** One connection: parses requests in order, answers them in order. */
class Conn {
  constructor(socket) {
    this.socket = socket;
    this.state = HEAD;
    /** Bytes of an unfinished head or chunk line, kept across reads (bounded by MAX_HEAD). */
    this.partial = null;
    this.remaining = 0;
    this.inTrailers = false;
    /** A chunk's data has been read: its CRLF comes next. */
    this.afterData = false;
    /** The request whose body is being read: its answer is queued when the body ends. */
    this.current = null;
    /** Answers in request order: { bytes, ready, trickle, piece }. Index `first` is the next to write. */
    this.out = [];
    this.first = 0;
    /** A trickled response is being written: nothing else goes meanwhile. */
    this.trickling = false;
    this.closed = false;
    socket.setNoDelay(true);
    socket.on('data', (data) => this.onData(data));
    socket.on('error', () => this.close());
    socket.on('close', () => this.close());
  }

  close() {
    this.closed = true;
    this.socket.destroy();
  }

  onData(data) {
    let buf = data;
    if (this.partial !== null) {
      buf = Buffer.concat([this.partial, data]);
      this.partial = null;
    }
    this.socket.cork();
    try {
      let pos = 0;
      while (pos < buf.length && !this.closed) {
        if (this.state === HEAD) pos = this.readHead(buf, pos);
        else if (this.state === BODY || this.state === CHUNK_DATA) pos = this.readBody(buf, pos);
        else pos = this.readChunkLine(buf, pos);
        if (pos < 0) return this.close();
      }
    } finally {
      this.socket.uncork();
    }
  }

  /** Keeps the rest of a read for the next one; -1 when that would pass MAX_HEAD. */
  keep(buf, pos) {
    if (buf.length - pos > MAX_HEAD) return -1;
    this.partial = Buffer.from(buf.subarray(pos));
    return buf.length;
  }

  readHead(buf, pos) {
    const end = buf.indexOf('\r\n\r\n', pos, 'latin1');
    if (end === -1) return this.keep(buf, pos);
    const head = buf.latin1Slice(pos, end);
    const sp1 = head.indexOf(' ');
    const sp2 = head.indexOf(' ', sp1 + 1);
    if (sp1 < 1 || sp2 < 0) return -1;
    const target = head.slice(sp1 + 1, sp2);
    const q = target.indexOf('?');
    const path = q === -1 ? target : target.slice(0, q);
    const { delay, piece } = q === -1 ? { delay: 0, piece: 1 } : parseQuery(target.slice(q + 1));
    let length = 0;
    let chunked = false;
    let expect = false;
    // Only the fields that frame the body or ask for 100 Continue matter here.
    if (head.length > sp2 + 12) {
      const lower = head.toLowerCase();
      const cl = lower.indexOf('\r\ncontent-length:');
      if (cl !== -1) length = parseInt(lower.slice(cl + 17, lower.indexOf('\r\n', cl + 17) >>> 0), 10);
      chunked = lower.includes('\r\ntransfer-encoding: chunked');
      expect = lower.includes('\r\nexpect: 100-continue');
    }
    if (!(length >= 0)) return -1;
    const answer = { route: route(path), delay, piece };
    if (expect && (length > 0 || chunked)) this.queue(CONTINUE, 0, false, 1);
    if (chunked) {
      this.current = answer;
      this.state = CHUNK_SIZE;
      this.inTrailers = false;
    } else if (length > 0) {
      this.current = answer;
      this.remaining = length;
      this.state = BODY;
    } else {
      this.answer(answer);
    }
    return end + 4;
  }

  readBody(buf, pos) {
    const n = Math.min(this.remaining, buf.length - pos);
    this.remaining -= n;
    pos += n;
    if (this.remaining > 0) return pos;
    if (this.state === CHUNK_DATA) {
      // The CRLF after the chunk data is read as an empty chunk line.
      this.state = CHUNK_SIZE;
      this.afterData = true;
      return pos;
    }
    this.state = HEAD;
    this.answer(this.current);
    this.current = null;
    return pos;
  }

  readChunkLine(buf, pos) {
    const lf = buf.indexOf(10, pos);
    if (lf === -1) return this.keep(buf, pos);
    const line = buf.latin1Slice(pos, lf).replace(/\r$/, '');
    if (this.afterData) {
      this.afterData = false;
      return line === '' ? lf + 1 : -1;
    }
    if (this.inTrailers) {
      if (line === '') {
        this.state = HEAD;
        this.answer(this.current);
        this.current = null;
      }
      return lf + 1;
    }
    const size = parseInt(line, 16);
    if (!(size >= 0)) return -1;
    if (size === 0) this.inTrailers = true;
    else {
      this.remaining = size;
      this.state = CHUNK_DATA;
    }
    return lf + 1;
  }

  answer({ route: found, delay, piece }) {
    if (found === null) this.queue(null, -1, false, 1);
    else this.queue(found.bytes, delay, found.trickle, piece);
  }

  /** Queues an answer; `delay` -1 never becomes ready. */
  queue(bytes, delay, trickle, piece) {
    if (delay === 0 && !trickle && this.first === this.out.length && !this.trickling) {
      this.socket.write(bytes);
      return;
    }
    const slot = { bytes, ready: delay === 0, trickle, piece };
    this.out.push(slot);
    if (delay > 0) {
      setTimeout(() => {
        slot.ready = true;
        this.flush();
      }, delay);
    } else if (delay === 0) this.flush();
  }

  /** Writes the ready answers at the front of the queue, in order. */
  flush() {
    if (this.closed || this.trickling) return;
    const out = this.out;
    this.socket.cork();
    while (this.first < out.length && out[this.first].ready) {
      const slot = out[this.first++];
      if (slot.trickle) {
        this.trickle(slot.bytes, slot.piece);
        break;
      }
      this.socket.write(slot.bytes);
    }
    this.socket.uncork();
    if (this.first === out.length) {
      this.out = [];
      this.first = 0;
    } else if (this.first > 4096) {
      this.out = out.slice(this.first);
      this.first = 0;
    }
  }

  /** Writes `bytes` `piece` bytes at a time, a setImmediate between writes. */
  trickle(bytes, piece) {
    this.trickling = true;
    let at = 0;
    const step = () => {
      if (this.closed) return;
      // Never more than a few writes queued in Node: the reader sets the pace.
      if (this.socket.writableLength > 64 * piece) return void this.socket.once('drain', step);
      this.socket.write(bytes.subarray(at, Math.min(at + piece, bytes.length)));
      at += piece;
      if (at < bytes.length) return void setImmediate(step);
      this.trickling = false;
      this.flush();
    };
    step();
  }
}

const server = net.createServer({ noDelay: true }, (socket) => new Conn(socket));
server.listen(0, '127.0.0.1', () => process.send({ port: server.address().port }));
// The parent decides the server's life; without it there is nothing to serve.
process.on('disconnect', () => process.exit(0));
const limit = Number(process.env.BENCH_SERVER_MAX_MS || 30 * 60_000);
setTimeout(() => process.exit(2), limit).unref();
