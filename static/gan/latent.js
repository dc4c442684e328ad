// Latent vectors in the browser: the same paths as ganlib/latent.py (lerp, slerp,
// interpolation_path), computed in double precision and stored as float32, so a frame here is
// the frame the server would draw. Vectors are Float32Arrays of latent_dim numbers.

const PARALLEL_SIN = 1e-6;   // as ganlib.latent._PARALLEL_SIN

// The `steps` fractions numpy.linspace(0, 1, steps) gives.
export function fractions(steps) {
  const step = 1 / (steps - 1);
  return Array.from({ length: steps }, (_, j) => (j === steps - 1 ? 1 : j * step));
}

export function norm(v) {
  let total = 0;
  for (let i = 0; i < v.length; i++) total += v[i] * v[i];
  return Math.sqrt(total);
}

// The point a fraction t of the way from a to b: along the straight line ("linear") or the
// great circle ("spherical"), with the special cases of ganlib.latent.slerp.
export function between(a, b, t, method) {
  if (t === 0) return Float32Array.from(a);
  if (t === 1) return Float32Array.from(b);
  const out = new Float32Array(a.length);
  const na = norm(a), nb = norm(b);
  const straight = () => {
    for (let i = 0; i < a.length; i++) out[i] = (1 - t) * a[i] + t * b[i];
    return out;
  };
  if (method !== "spherical" || na === 0 || nb === 0) return straight();
  let cos = 0;
  for (let i = 0; i < a.length; i++) cos += (a[i] / na) * (b[i] / nb);
  const v = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) v[i] = b[i] / nb - cos * (a[i] / na);
  const sin = norm(v);
  let angle;
  if (sin < PARALLEL_SIN) {
    if (cos > 0 || a.length === 1) return straight();
    perpendicular(a, na, v);
    angle = Math.PI;
  } else {
    for (let i = 0; i < v.length; i++) v[i] /= sin;
    angle = Math.atan2(sin, cos);
  }
  const c = Math.cos(t * angle), s = Math.sin(t * angle), length = (1 - t) * na + t * nb;
  for (let i = 0; i < a.length; i++) out[i] = length * (c * (a[i] / na) + s * v[i]);
  return out;
}

// Into v: the unit vector perpendicular to a (of norm na) from the axis least aligned with it.
function perpendicular(a, na, v) {
  let axis = 0;
  for (let i = 1; i < a.length; i++) if (Math.abs(a[i] / na) < Math.abs(a[axis] / na)) axis = i;
  const along = a[axis] / na;
  for (let i = 0; i < a.length; i++) v[i] = -along * (a[i] / na);
  v[axis] += 1;
  const length = norm(v);
  for (let i = 0; i < v.length; i++) v[i] /= length;
}

// The path through the stops `points` (an array of vectors) as ganlib.latent.interpolation_path
// makes it: `steps` frames a segment, both ends included, joints not repeated. One
// Float32Array of frames x latent_dim numbers.
export function path(points, steps, method) {
  const d = points[0].length, frames = (points.length - 1) * (steps - 1) + 1;
  const out = new Float32Array(frames * d), ts = fractions(steps);
  for (let s = 0; s + 1 < points.length; s++) {
    for (let j = 0; j + 1 < steps; j++) {
      out.set(between(points[s], points[s + 1], ts[j], method), (s * (steps - 1) + j) * d);
    }
  }
  out.set(points[points.length - 1], (frames - 1) * d);
  return out;
}

// The point at t (0 to 1) along the whole path through `points`, each segment an equal share
// of t: at t = f / (frames - 1) it is frame f of `path`.
export function along(points, t, method) {
  const segments = points.length - 1, where = Math.min(Math.max(t, 0), 1) * segments;
  const s = Math.min(Math.floor(where), segments - 1);
  return between(points[s], points[s + 1], where - s, method);
}
