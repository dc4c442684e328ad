// Generated images as pictures, drawn as ganlib.images draws them on the server (to_uint8 and
// image_grid): -1 is black, 1 white, rounded half to even; each image enlarged by repeating
// pixels; 2 pixels of mid-grey between images and no border. So a canvas here holds the same
// pixels as the PNG the server would send, and a test can compare them.
export const SIDE = 28;
export const SEPARATOR = 128;
export const PAD = 2;

export function grey(value) {
  let scaled = (Number.isNaN(value) ? 0 : value + 1) * 127.5;
  scaled = scaled < 0 ? 0 : scaled > 255 ? 255 : scaled;
  const rounded = Math.round(scaled);
  return rounded - scaled === 0.5 && rounded % 2 === 1 ? rounded - 1 : rounded;
}

// Draw `count` images (28 x 28 each, laid end to end in `images` from image `first`) into
// `canvas`, `cols` to a row, each pixel a `scale` x `scale` square.
export function drawGrid(canvas, images, { count, cols = count, scale = 1, first = 0 }) {
  const cell = SIDE * scale, { width, height } = gridSize(count, cols, scale);
  if (canvas.width !== width) canvas.width = width;
  if (canvas.height !== height) canvas.height = height;
  const picture = new ImageData(width, height);
  const rgba = new Uint32Array(picture.data.buffer);
  rgba.fill(colour(SEPARATOR));
  const pixels = new Uint32Array(SIDE * SIDE);                // one image's colours
  for (let n = 0; n < count; n++) {
    const base = (first + n) * SIDE * SIDE;
    for (let i = 0; i < pixels.length; i++) pixels[i] = colour(grey(images[base + i]));
    const top = Math.floor(n / cols) * (cell + PAD), left = (n % cols) * (cell + PAD);
    for (let y = 0; y < cell; y++) {
      const row = Math.floor(y / scale) * SIDE, line = (top + y) * width + left;
      for (let x = 0; x < cell; x++) rgba[line + x] = pixels[row + Math.floor(x / scale)];
    }
  }
  canvas.getContext("2d").putImageData(picture, 0, 0);
}

// The picture's size in pixels: {width, height}, what a canvas waiting for it is given.
export function gridSize(count, cols, scale) {
  const rows = Math.ceil(count / cols), cell = SIDE * scale;
  return { width: cols * cell + (cols - 1) * PAD, height: rows * cell + (rows - 1) * PAD };
}

// An opaque grey as one little-endian RGBA word.
const colour = (g) => ((255 << 24) | (g << 16) | (g << 8) | g) >>> 0;
