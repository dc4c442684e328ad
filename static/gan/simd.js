// The runner's one hot loop (network.js, tapRow) in WebAssembly with 128-bit SIMD: four output
// channels per instruction, about four times the plain JavaScript loop, which is what brings
// the article generators (165 M multiply-adds a digit) near the time of a slider move. No
// build step: the function is written below as WebAssembly instructions, one per line, and
// assembled into a module's bytes when this file loads. Browsers without WebAssembly SIMD
// (WebAssembly.validate says no) keep the JavaScript loop.
//
//   tap_row(x, y, k, cin, cout, xStep, yStep, count)
//
// adds, for the `count` pixels p of one row and every output channel j,
//   y[p * yStep + j] += sum over c < cin of x[p * xStep + c] * k[c * cout + j]
// where x, y and k are byte addresses of float32 arrays in the module's memory, xStep and
// yStep are in bytes, cin is a multiple of 4 and cout of 4.

const OPS = {
  "block": [0x02, 0x40], "loop": [0x03, 0x40], "br": [0x0c], "br_if": [0x0d], "end": [0x0b],
  "local.get": [0x20], "local.set": [0x21], "local.tee": [0x22],
  "i32.const": [0x41], "i32.ge_s": [0x4e], "i32.add": [0x6a], "i32.mul": [0x6c], "i32.shl": [0x74],
  "f32.load": [0x2a, 0x02],            // align 2^2, then the offset
  "v128.load": [0xfd, 0x00, 0x02, 0x00], "v128.store": [0xfd, 0x0b, 0x02, 0x00],
  "f32x4.splat": [0xfd, 0x13], "f32x4.add": [0xfd, 0xe4, 0x01], "f32x4.mul": [0xfd, 0xe6, 0x01],
};

// Parameters 0-7 as above; then the locals.
const [X, Y, K, CIN, COUT, XSTEP, YSTEP, COUNT] = [0, 1, 2, 3, 4, 5, 6, 7];
const [C, P, J, XP, YP, R0, R1, R2, R3, ROW] = [8, 9, 10, 11, 12, 13, 14, 15, 16, 17];
const [A0, A1, A2, A3] = [18, 19, 20, 21];

const BODY = [
  ["local.get", COUT], ["i32.const", 2], ["i32.shl"], ["local.set", ROW],   // row = cout * 4
  ["i32.const", 0], ["local.set", C],
  ["block"], ["loop"],                                                      // four channels c..c+3
  ["local.get", C], ["local.get", CIN], ["i32.ge_s"], ["br_if", 1],
  ["local.get", K], ["local.get", C], ["local.get", ROW], ["i32.mul"], ["i32.add"], ["local.tee", R0],
  ["local.get", ROW], ["i32.add"], ["local.tee", R1],
  ["local.get", ROW], ["i32.add"], ["local.tee", R2],
  ["local.get", ROW], ["i32.add"], ["local.set", R3],
  ["local.get", X], ["local.get", C], ["i32.const", 2], ["i32.shl"], ["i32.add"], ["local.set", XP],
  ["local.get", Y], ["local.set", YP],
  ["i32.const", 0], ["local.set", P],
  ["block"], ["loop"],                                                      // each pixel p
  ["local.get", P], ["local.get", COUNT], ["i32.ge_s"], ["br_if", 1],
  ["local.get", XP], ["f32.load", 0], ["f32x4.splat"], ["local.set", A0],
  ["local.get", XP], ["f32.load", 4], ["f32x4.splat"], ["local.set", A1],
  ["local.get", XP], ["f32.load", 8], ["f32x4.splat"], ["local.set", A2],
  ["local.get", XP], ["f32.load", 12], ["f32x4.splat"], ["local.set", A3],
  ["i32.const", 0], ["local.set", J],
  ["block"], ["loop"],                                                      // output channels j..j+3
  ["local.get", J], ["local.get", ROW], ["i32.ge_s"], ["br_if", 1],
  ["local.get", YP], ["local.get", J], ["i32.add"],                         // where the sum goes
  ["local.get", YP], ["local.get", J], ["i32.add"], ["v128.load"],
  ["local.get", A0], ["local.get", R0], ["local.get", J], ["i32.add"], ["v128.load"], ["f32x4.mul"], ["f32x4.add"],
  ["local.get", A1], ["local.get", R1], ["local.get", J], ["i32.add"], ["v128.load"], ["f32x4.mul"], ["f32x4.add"],
  ["local.get", A2], ["local.get", R2], ["local.get", J], ["i32.add"], ["v128.load"], ["f32x4.mul"], ["f32x4.add"],
  ["local.get", A3], ["local.get", R3], ["local.get", J], ["i32.add"], ["v128.load"], ["f32x4.mul"], ["f32x4.add"],
  ["v128.store"],
  ["local.get", J], ["i32.const", 16], ["i32.add"], ["local.set", J],
  ["br", 0], ["end"], ["end"],
  ["local.get", XP], ["local.get", XSTEP], ["i32.add"], ["local.set", XP],
  ["local.get", YP], ["local.get", YSTEP], ["i32.add"], ["local.set", YP],
  ["local.get", P], ["i32.const", 1], ["i32.add"], ["local.set", P],
  ["br", 0], ["end"], ["end"],
  ["local.get", C], ["i32.const", 4], ["i32.add"], ["local.set", C],
  ["br", 0], ["end"], ["end"],
  ["end"],
];

// Unsigned and signed LEB128, as WebAssembly writes its numbers.
function unsigned(n) {
  const out = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n) byte |= 0x80;
    out.push(byte);
  } while (n);
  return out;
}

function signed(n) {
  const out = [];
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    if ((n === 0 && !(byte & 0x40)) || (n === -1 && byte & 0x40)) return [...out, byte];
    out.push(byte | 0x80);
  }
}

const section = (id, bytes) => [id, ...unsigned(bytes.length), ...bytes];
const text = (s) => [...unsigned(s.length), ...Array.from(s, (ch) => ch.charCodeAt(0))];

function assemble() {
  const code = BODY.flatMap(([op, arg]) => {
    const bytes = [...OPS[op]];
    if (op === "i32.const") bytes.push(...signed(arg));
    else if (arg !== undefined) bytes.push(...unsigned(arg));
    return bytes;
  });
  const locals = [2, 10, 0x7f, 4, 0x7b];               // 10 i32, 4 v128
  const body = [...locals, ...code];
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, [1, 0x60, 8, ...Array(8).fill(0x7f), 0]),                 // (i32 x 8) -> ()
    ...section(2, [1, ...text("env"), ...text("memory"), 0x02, 0x00, 1]),   // memory, >= 1 page
    ...section(3, [1, 0]),
    ...section(7, [1, ...text("tap_row"), 0x00, 0]),
    ...section(10, [1, ...unsigned(body.length), ...body]),
  ]);
}

const MODULE = (() => {
  try {
    const bytes = assemble();
    return typeof WebAssembly === "object" && WebAssembly.validate(bytes)
      ? new WebAssembly.Module(bytes) : null;
  } catch (error) {
    return null;
  }
})();

// tap_row bound to `memory` (a WebAssembly.Memory), or null where SIMD is not there.
export function tapRowIn(memory) {
  return MODULE ? new WebAssembly.Instance(MODULE, { env: { memory } }).exports.tap_row : null;
}

export const available = MODULE !== null;
