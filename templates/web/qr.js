/**
 * TEMPLATE — a small QR code encoder for the chat accounts page, so that a deep link can be
 * scanned from a phone without any script or image from outside the app (no CDN, no QR service).
 *
 * What it covers, and why that is enough: byte mode (UTF-8), error correction level M, versions
 * 1 to 6, so up to 106 bytes; a Telegram deep link (`https://t.me/<bot>?start=<code>`) is under 70.
 * Versions 1-6 need no version information blocks and have at most one alignment pattern. The
 * mask is chosen by the specification's penalty rules 1, 2 and 4 (rule 3, finder-like runs, is
 * left out: any of the eight masks decodes, the rules only make scanning a little easier).
 * Follows ISO/IEC 18004 as explained in Project Nayuki's "QR Code generator library" (MIT).
 *
 * @module
 */

/** Error correction codewords per block and number of blocks, level M, versions 1-6. */
const ECC_PER_BLOCK = [0, 10, 16, 26, 18, 24, 16];
const BLOCKS = [0, 1, 1, 1, 2, 2, 4];
/** Format information bits of level M (the two-bit indicator 00). */
const LEVEL_M = 0;
const MAX_VERSION = 6;

/**
 * The modules of a QR code for `text` (true = dark), rows of columns, without the quiet zone.
 * Throws a RangeError when the text needs more than version 6 holds (106 bytes).
 * @param {string} text
 * @param {number} [mask] 0-7 to use that mask (tests compare with other encoders); else chosen
 * @returns {boolean[][]}
 */
export function qrMatrix(text, mask) {
  const bytes = new TextEncoder().encode(text);
  let version = 1;
  while (version <= MAX_VERSION && 4 + 8 + bytes.length * 8 > dataCodewords(version) * 8) version++;
  if (version > MAX_VERSION) throw new RangeError(`QR: ${bytes.length} bytes is too long`);

  // Data: mode "byte" (0100), an 8-bit length, the bytes, a terminator, then pad bytes.
  const bits = [];
  const put = (value, length) => {
    for (let i = length - 1; i >= 0; i--) bits.push((value >>> i) & 1);
  };
  put(0b0100, 4);
  put(bytes.length, 8);
  for (const b of bytes) put(b, 8);
  const capacity = dataCodewords(version) * 8;
  put(0, Math.min(4, capacity - bits.length));
  put(0, (8 - (bits.length % 8)) % 8);
  for (let pad = 0xec; bits.length < capacity; pad ^= 0xec ^ 0x11) put(pad, 8);
  const data = [];
  for (let i = 0; i < bits.length; i += 8) {
    data.push(bits.slice(i, i + 8).reduce((byte, bit) => (byte << 1) | bit, 0));
  }

  const size = version * 4 + 17;
  const grid = Array.from({ length: size }, () => new Array(size).fill(false));
  const fixed = Array.from({ length: size }, () => new Array(size).fill(false));
  const set = (x, y, dark) => {
    grid[y][x] = dark;
    fixed[y][x] = true;
  };
  drawFunctionPatterns(version, size, set);
  drawFormat(0, size, set); // reserves the format areas; drawn again once the mask is chosen
  placeData(interleave(version, data), size, grid, fixed);

  let best = { penalty: Infinity, mask: mask ?? 0 };
  for (let m = 0; m < 8 && mask === undefined; m++) {
    applyMask(m, size, grid, fixed);
    drawFormat(m, size, set);
    const p = penalty(grid, size);
    if (p < best.penalty) best = { penalty: p, mask: m };
    applyMask(m, size, grid, fixed); // XOR again: undone
  }
  applyMask(best.mask, size, grid, fixed);
  drawFormat(best.mask, size, set);
  return grid;
}

/**
 * An SVG element drawing `text` as a QR code (dark modules on white, with the 4-module quiet
 * zone), scaled by CSS; `label` becomes its accessible name.
 * @param {Document} doc
 * @param {string} text
 * @param {string} label
 * @returns {SVGSVGElement}
 */
export function qrSvg(doc, text, label) {
  const grid = qrMatrix(text);
  const n = grid.length + 8;
  const ns = "http://www.w3.org/2000/svg";
  const svg = doc.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", `0 0 ${n} ${n}`);
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", label);
  svg.setAttribute("shape-rendering", "crispEdges");
  const bg = doc.createElementNS(ns, "rect");
  bg.setAttribute("width", String(n));
  bg.setAttribute("height", String(n));
  bg.setAttribute("fill", "#fff");
  const path = doc.createElementNS(ns, "path");
  let d = "";
  grid.forEach((row, y) =>
    row.forEach((dark, x) => {
      if (dark) d += `M${x + 4},${y + 4}h1v1h-1z`;
    })
  );
  path.setAttribute("d", d);
  path.setAttribute("fill", "#000");
  svg.append(bg, path);
  return svg;
}

/** Data codewords a version holds at level M. */
function dataCodewords(version) {
  return Math.floor(rawModules(version) / 8) - ECC_PER_BLOCK[version] * BLOCKS[version];
}

/** Modules left for data and error correction once the function patterns are drawn. */
function rawModules(version) {
  let result = (16 * version + 128) * version + 64;
  if (version >= 2) result -= 25; // the one alignment pattern (5x5) of versions 2-6
  return result;
}

function drawFunctionPatterns(version, size, set) {
  for (let i = 0; i < size; i++) {
    set(6, i, i % 2 === 0);
    set(i, 6, i % 2 === 0);
  }
  for (const [cx, cy] of [[3, 3], [size - 4, 3], [3, size - 4]]) {
    for (let dy = -4; dy <= 4; dy++) {
      for (let dx = -4; dx <= 4; dx++) {
        const x = cx + dx, y = cy + dy;
        const dist = Math.max(Math.abs(dx), Math.abs(dy));
        if (x >= 0 && x < size && y >= 0 && y < size) set(x, y, dist !== 2 && dist !== 4);
      }
    }
  }
  if (version >= 2) {
    const c = size - 7;
    for (let dy = -2; dy <= 2; dy++) {
      for (let dx = -2; dx <= 2; dx++) {
        set(c + dx, c + dy, Math.max(Math.abs(dx), Math.abs(dy)) !== 1);
      }
    }
  }
}

/** The 15 format bits (level and mask, BCH-protected) in both copies, and the dark module. */
function drawFormat(mask, size, set) {
  const data = (LEVEL_M << 3) | mask;
  let rem = data;
  for (let i = 0; i < 10; i++) rem = (rem << 1) ^ ((rem >>> 9) * 0x537);
  const bits = ((data << 10) | rem) ^ 0x5412;
  const bit = (i) => ((bits >>> i) & 1) !== 0;
  for (let i = 0; i <= 5; i++) set(8, i, bit(i));
  set(8, 7, bit(6));
  set(8, 8, bit(7));
  set(7, 8, bit(8));
  for (let i = 9; i < 15; i++) set(14 - i, 8, bit(i));
  for (let i = 0; i < 8; i++) set(size - 1 - i, 8, bit(i));
  for (let i = 8; i < 15; i++) set(8, size - 15 + i, bit(i));
  set(8, size - 8, true);
}

/** Splits the data into blocks, adds Reed-Solomon codewords, and interleaves them. */
function interleave(version, data) {
  const blocks = BLOCKS[version], eccLength = ECC_PER_BLOCK[version];
  const raw = Math.floor(rawModules(version) / 8);
  const shortBlocks = blocks - (raw % blocks);
  const shortLength = Math.floor(raw / blocks);
  const divisor = rsDivisor(eccLength);
  const all = [];
  for (let i = 0, k = 0; i < blocks; i++) {
    const length = shortLength - eccLength + (i < shortBlocks ? 0 : 1);
    const block = data.slice(k, k + length);
    k += length;
    all.push({ data: block, ecc: rsRemainder(block, divisor) });
  }
  const out = [];
  for (let i = 0; i <= shortLength - eccLength; i++) {
    for (const b of all) if (i < b.data.length) out.push(b.data[i]);
  }
  for (let i = 0; i < eccLength; i++) for (const b of all) out.push(b.ecc[i]);
  return out;
}

function gfMultiply(x, y) {
  let z = 0;
  for (let i = 7; i >= 0; i--) {
    z = (z << 1) ^ ((z >>> 7) * 0x11d);
    z ^= ((y >>> i) & 1) * x;
  }
  return z;
}

function rsDivisor(degree) {
  const result = new Array(degree).fill(0);
  result[degree - 1] = 1;
  let root = 1;
  for (let i = 0; i < degree; i++) {
    for (let j = 0; j < degree; j++) {
      result[j] = gfMultiply(result[j], root);
      if (j + 1 < degree) result[j] ^= result[j + 1];
    }
    root = gfMultiply(root, 0x02);
  }
  return result;
}

function rsRemainder(data, divisor) {
  const result = new Array(divisor.length).fill(0);
  for (const b of data) {
    const factor = b ^ result.shift();
    result.push(0);
    divisor.forEach((coef, i) => (result[i] ^= gfMultiply(coef, factor)));
  }
  return result;
}

/** Places the codewords in the zigzag order, two columns at a time, skipping function modules. */
function placeData(codewords, size, grid, fixed) {
  let i = 0;
  for (let right = size - 1; right >= 1; right -= 2) {
    if (right === 6) right = 5; // the vertical timing pattern
    for (let vert = 0; vert < size; vert++) {
      for (let j = 0; j < 2; j++) {
        const x = right - j;
        const y = ((right + 1) & 2) === 0 ? size - 1 - vert : vert;
        if (!fixed[y][x] && i < codewords.length * 8) {
          grid[y][x] = ((codewords[i >>> 3] >>> (7 - (i & 7))) & 1) !== 0;
          i++;
        }
      }
    }
  }
}

const MASKS = [
  (x, y) => (x + y) % 2 === 0,
  (_x, y) => y % 2 === 0,
  (x) => x % 3 === 0,
  (x, y) => (x + y) % 3 === 0,
  (x, y) => (Math.floor(x / 3) + Math.floor(y / 2)) % 2 === 0,
  (x, y) => ((x * y) % 2) + ((x * y) % 3) === 0,
  (x, y) => (((x * y) % 2) + ((x * y) % 3)) % 2 === 0,
  (x, y) => (((x + y) % 2) + ((x * y) % 3)) % 2 === 0,
];

function applyMask(mask, size, grid, fixed) {
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) if (!fixed[y][x] && MASKS[mask](x, y)) grid[y][x] = !grid[y][x];
  }
}

/** Penalty rules 1 (runs of five or more), 2 (2x2 blocks) and 4 (dark/light balance). */
function penalty(grid, size) {
  let result = 0;
  const runs = (get) => {
    for (let a = 0; a < size; a++) {
      let run = 1;
      for (let b = 1; b <= size; b++) {
        if (b < size && get(a, b) === get(a, b - 1)) run++;
        else {
          if (run >= 5) result += run - 2;
          run = 1;
        }
      }
    }
  };
  runs((y, x) => grid[y][x]);
  runs((x, y) => grid[y][x]);
  let dark = 0;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      if (grid[y][x]) dark++;
      if (
        x + 1 < size && y + 1 < size && grid[y][x] === grid[y][x + 1] &&
        grid[y][x] === grid[y + 1][x] && grid[y][x] === grid[y + 1][x + 1]
      ) result += 3;
    }
  }
  const total = size * size;
  result += (Math.ceil(Math.abs(dark * 20 - total * 10) / total) - 1) * 10;
  return result;
}
