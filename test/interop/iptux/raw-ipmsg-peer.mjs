// A bare IP Messenger peer written from the protocol, to prove the iptux driver
// against: it sends exactly the packets a test asks for and reports every packet
// it receives. JSON lines: commands on stdin, events on stdout. It binds UDP and
// TCP 0.0.0.0:2425, so run it only inside a network namespace.
//
// Commands:
//   {op:'udp', to, cmd, sections?: string[], extraHex?: string}  one packet; sections are joined by NUL
//   {op:'serve', packetNo, fileId, path}      answer GETFILEDATA / GETDIRFILES for that file or folder
//   {op:'fetch', ip, packetNo, fileId, dest}  GETFILEDATA, bytes to dest
//   {op:'fetchDir', ip, packetNo, fileId, dest}  GETDIRFILES, the stream unpacked under dest
// Events: listening, udp (every packet received), udpSent, served, fetched, fetchedDir, error.
// Every SENDMSG with SENDCHECKOPT is answered with RECVMSG, as a real client does.
import dgram from 'node:dgram';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { createInterface } from 'node:readline';

const PORT = 2425;
const USER = 'rawuser';
const HOST = 'rawhost';
const SENDMSG = 0x20;
const RECVMSG = 0x21;
const SENDCHECKOPT = 0x100;
const BROADCASTOPT = 0x400;
const AUTORETOPT = 0x2000;
const GETFILEDATA = 0x60;
const GETDIRFILES = 0x62;
const FILE_REGULAR = 1;
const FILE_DIR = 2;
const FILE_RETPARENT = 3;

let packetNo = Math.floor(Date.now() / 1000);
const served = new Map(); // `${packetNo}:${fileId}` -> path

const out = (event) => process.stdout.write(`${JSON.stringify(event)}\n`);

function packet(cmd, extra, no = packetNo++) {
  return { no, bytes: Buffer.concat([Buffer.from(`1:${no}:${USER}:${HOST}:${cmd}:`), extra]) };
}

/** `ver:packetNo:user:host:cmd:extra`, split on the first five colons only. */
function parsePacket(buf) {
  const fields = [];
  let start = 0;
  for (let i = 0; i < buf.length && fields.length < 5; i++) {
    if (buf[i] === 0x3a) {
      fields.push(buf.subarray(start, i).toString('latin1'));
      start = i + 1;
    }
  }
  const extra = buf.subarray(start);
  const cmd = Number(fields[4]);
  return {
    ver: fields[0],
    packetNo: Number(fields[1]),
    user: fields[2],
    host: fields[3],
    cmd,
    mode: cmd & 0xff,
    extra,
  };
}

const udp = dgram.createSocket({ type: 'udp4', reuseAddr: true });
udp.on('message', (buf, rinfo) => {
  const p = parsePacket(buf);
  out({
    event: 'udp',
    from: rinfo.address,
    ver: p.ver,
    packetNo: p.packetNo,
    user: p.user,
    host: p.host,
    cmd: p.cmd,
    mode: p.mode,
    sections: p.extra.toString('utf8').split('\0'),
    extraHex: p.extra.toString('hex'),
  });
  if (p.mode === SENDMSG && p.cmd & SENDCHECKOPT && !(p.cmd & (BROADCASTOPT | AUTORETOPT))) {
    const reply = packet(RECVMSG, Buffer.from(`${p.packetNo}\0`));
    udp.send(reply.bytes, PORT, rinfo.address);
  }
});

function sendUdp({ to, cmd, sections, extraHex }) {
  const extra = extraHex !== undefined ? Buffer.from(extraHex, 'hex') : Buffer.from(`${(sections ?? []).join('\0')}\0`);
  const p = packet(cmd, extra);
  udp.send(p.bytes, PORT, to, (error) =>
    out(error ? { event: 'error', message: error.message } : { event: 'udpSent', to, cmd, packetNo: p.no }),
  );
}

// ---- folders as a GETDIRFILES stream: hhhh:name:size:attr: then the bytes of a regular file ----

function header(name, size, attr) {
  const rest = Buffer.from(`:${name.replaceAll(':', '::')}:${size.toString(16)}:${attr.toString(16)}:`);
  // hhhh counts the whole header, itself and the final colon included.
  return Buffer.concat([Buffer.from((4 + rest.length).toString(16).padStart(4, '0')), rest]);
}

function writeTree(socket, dir) {
  socket.write(header(path.basename(dir), 0, FILE_DIR));
  let bytes = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) bytes += writeTree(socket, full);
    else if (entry.isFile()) {
      const data = fs.readFileSync(full);
      socket.write(header(entry.name, data.length, FILE_REGULAR));
      socket.write(data);
      bytes += data.length;
    }
  }
  socket.write(header('.', 0, FILE_RETPARENT));
  return bytes;
}

/** Unpacks a whole GETDIRFILES stream under dest; returns the top folder and the bytes of its files. */
function readTree(stream, dest) {
  const dirs = [dest];
  let root = null;
  let bytes = 0;
  let at = 0;
  while (at < stream.length) {
    const size = parseInt(stream.subarray(at, at + 4).toString('latin1'), 16);
    if (!(size > 5)) throw new Error(`bad header at ${at}`);
    const text = stream.subarray(at + 5, at + size).toString('utf8');
    at += size;
    // The name ends at the first single colon ("::" is a colon in the name).
    let end = 0;
    while (!(text[end] === ':' && text[end + 1] !== ':')) end += text[end] === ':' ? 2 : 1;
    const name = text.slice(0, end).replaceAll('::', ':');
    const [sizeHex, attrHex] = text.slice(end + 1).split(':');
    const fileSize = parseInt(sizeHex, 16);
    const attr = parseInt(attrHex, 16) & 0xff;
    const here = dirs.at(-1);
    if (attr === FILE_DIR) {
      const made = path.join(here, name);
      fs.mkdirSync(made, { recursive: true });
      root ??= made;
      dirs.push(made);
    } else if (attr === FILE_RETPARENT) {
      dirs.pop();
      if (dirs.length === 1) break;
    } else if (attr === FILE_REGULAR) {
      fs.writeFileSync(path.join(here, name), stream.subarray(at, at + fileSize));
      at += fileSize;
      bytes += fileSize;
    }
  }
  return { root, bytes };
}

// ---- TCP: answer file requests, make them ----

const tcp = net.createServer((socket) => {
  let request = Buffer.alloc(0);
  socket.on('error', () => {});
  socket.on('data', (chunk) => {
    if (request === null) return;
    request = Buffer.concat([request, chunk]);
    // The request is one packet ending in NUL (iptux), or at least its attach fields.
    const p = parsePacket(request);
    const attach = p.extra.toString('latin1').replace(/\0.*$/s, '').split(':');
    if (!request.includes(0) && attach.length < 3) return;
    request = null;
    const [packetHex, fileHex] = attach;
    const key = `${parseInt(packetHex, 16)}:${parseInt(fileHex, 16)}`;
    const file = served.get(key);
    if (!file) {
      out({ event: 'error', message: `request for unknown file ${key}`, cmd: p.cmd });
      socket.destroy();
      return;
    }
    let bytes;
    if (p.mode === GETFILEDATA) {
      const data = fs.readFileSync(file);
      socket.write(data);
      bytes = data.length;
    } else if (p.mode === GETDIRFILES) {
      bytes = writeTree(socket, file);
    } else {
      socket.destroy();
      return;
    }
    socket.end(() =>
      out({ event: 'served', mode: p.mode, cmd: p.cmd, attach, path: file, bytes, from: socket.remoteAddress }),
    );
  });
});

function request(ip, cmd, packet, fileId, extraFields) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    const socket = net.connect(PORT, ip, () => {
      const attach = [packet.toString(16), fileId.toString(16), ...extraFields].join(':');
      socket.write(Buffer.concat([Buffer.from(`1:${packetNo++}:${USER}:${HOST}:${cmd}:${attach}:`), Buffer.from([0])]));
    });
    socket.on('data', (c) => chunks.push(c));
    socket.on('error', reject);
    socket.on('close', () => resolve(Buffer.concat(chunks)));
  });
}

async function run(command) {
  switch (command.op) {
    case 'udp':
      return sendUdp(command);
    case 'serve':
      served.set(`${command.packetNo}:${command.fileId}`, command.path);
      return out({ event: 'serving', packetNo: command.packetNo, fileId: command.fileId });
    case 'fetch': {
      const data = await request(command.ip, GETFILEDATA, command.packetNo, command.fileId, ['0']);
      fs.writeFileSync(command.dest, data);
      return out({ event: 'fetched', dest: command.dest, bytes: data.length });
    }
    case 'fetchDir': {
      const stream = await request(command.ip, GETDIRFILES, command.packetNo, command.fileId, []);
      fs.mkdirSync(command.dest, { recursive: true });
      const { root, bytes } = readTree(stream, command.dest);
      return out({ event: 'fetchedDir', root, bytes, streamBytes: stream.length });
    }
    default:
      return out({ event: 'error', message: `unknown op ${command.op}` });
  }
}

createInterface({ input: process.stdin }).on('line', (line) => {
  if (!line.trim()) return;
  run(JSON.parse(line)).catch((error) => out({ event: 'error', message: error.message, op: line }));
});
process.stdin.on('end', () => process.exit(0));

udp.bind(PORT, '0.0.0.0', () => {
  udp.setBroadcast(true);
  tcp.listen(PORT, '0.0.0.0', () => out({ event: 'listening', packetNo }));
});
