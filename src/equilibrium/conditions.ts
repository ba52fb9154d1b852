/**
 * The conditions of a chain's model (build.ts) as flat arrays: the index arrays come from its structure
 * (structure.ts), the numbers — curves, costs, route terms, scales — from each problem. An evaluation writes F and the
 * Jacobian's values at the pattern's slots without allocating. Derivatives are taken in model units and scaled:
 * ∂(fs_i·F_i)/∂z_j = fs_i · ∂F_i/∂x_j · dx_j/dz_j, with x = zs·z (or zs·exp(z) for a logarithmic price).
 *
 *   price p[r,k]     ⊥  supply + imports − exports − demand − derived − stock change
 *   output q[j]      ⊥  cost_j + Σ_m a[k,m]·p[r,m] − max(p + mu, strike) + ε·q (box)
 *   flow x[r,s,k]    ⊥  landed[r,s] − p[s] + ε·x  (or log landed − log p[s] into a logarithmic price)
 *   rent lam[ρ]      ⊥  quota_ρ − Σ_{routes of ρ} x
 *   origin mu[r,k]   ⊥  own production + releases − exports
 *   vault buy b      ⊥  p − buy price (box);  vault release v ⊥ release price − p − mu (box)
 *
 * The landed cost of a route into a member with a floor is max(floor, duty-paid); both max() are kinks of F, which an
 * evaluation may smooth (evaluateConditions' `smoothing`, see softMax).
 *
 * Most entries of the Jacobian do not depend on the point (a flow's ±1 in the balances, an output's input
 * coefficients, the origin and quota rows): they are written once per problem (`constant`) and copied in.
 */
import type { CompiledShape } from './structure.ts';

/** The numbers of one problem for its structure's conditions. */
export interface ConditionData {
  readonly n: number;
  /** Per variable: scale to model units, scale of its condition, and log(scale) for logarithmic prices. */
  readonly zs: Float64Array;
  readonly fs: Float64Array;
  readonly logZs: Float64Array;
  readonly logarithmic: Uint8Array;
  // Demand curves, in the order of CompiledShape.dCurve: kind (0 isoelastic, 1 linear), a (q0 or intercept),
  // b (p0 or slope), elasticity, log(p0).
  readonly cKind: Uint8Array;
  readonly cA: Float64Array;
  readonly cB: Float64Array;
  readonly cE: Float64Array;
  readonly cLogB: Float64Array;
  /** Supply curves summed per node of CompiledShape.sNode. */
  readonly sIntercept: Float64Array;
  readonly sSlope: Float64Array;
  // Producers: unit cash cost, CfD strike (NaN without), tie-breaking slope per unit ε (price scale / output scale);
  // input coefficients per input entry.
  readonly aCost: Float64Array;
  readonly aStrike: Float64Array;
  readonly aTie: Float64Array;
  readonly iCoef: Float64Array;
  /** Stock moves: the buy or release price. */
  readonly kPrice: Float64Array;
  // Routes: freight, 1 + ad valorem, specific duty, 1 + export tax, floor (NaN without), tie-breaking slope per ε.
  readonly rFreight: Float64Array;
  readonly rMarkup: Float64Array;
  readonly rSpecific: Float64Array;
  readonly rTax: Float64Array;
  readonly rFloor: Float64Array;
  readonly rTie: Float64Array;
  readonly qQuota: Float64Array;
  /** The Jacobian's entries that do not depend on the point (zero elsewhere). */
  readonly constant: Float64Array;
  // Workspace.
  readonly x: Float64Array;
  readonly dxdz: Float64Array;
  readonly scratch: Float64Array;
}

/** Fills ConditionData.constant from the scales. */
export function constantEntries(
  c: CompiledShape,
  zs: Float64Array,
  fs: Float64Array,
  iCoef: Float64Array,
  J: Float64Array,
): Float64Array {
  J.fill(0);
  const { aVar, aNode, aSlotNQ, aInStart, iNode, iSlotIQ, kVar, kNode, kSign, kSlotNV, kOrigin, kSlotVO } = c;
  for (let k = 0; k < aVar.length; k++) {
    const q = aVar[k] as number;
    J[aSlotNQ[k] as number] = (fs[aNode[k] as number] as number) * (zs[q] as number);
    for (let t = aInStart[k] as number; t < (aInStart[k + 1] as number); t++) {
      J[iSlotIQ[t] as number] = -(iCoef[t] as number) * (fs[iNode[t] as number] as number) * (zs[q] as number);
    }
  }
  for (let k = 0; k < kVar.length; k++) {
    const v = kVar[k] as number;
    J[kSlotNV[k] as number] = (kSign[k] as number) * (fs[kNode[k] as number] as number) * (zs[v] as number);
    const o = kOrigin[k] as number;
    if (o >= 0) J[kSlotVO[k] as number] = -(fs[v] as number) * (zs[o] as number);
  }
  const { rVar, rFrom, rTo, rSlotTE, rSlotFE } = c;
  for (let k = 0; k < rVar.length; k++) {
    const e = rVar[k] as number;
    J[rSlotTE[k] as number] = (fs[rTo[k] as number] as number) * (zs[e] as number);
    J[rSlotFE[k] as number] = -(fs[rFrom[k] as number] as number) * (zs[e] as number);
  }
  const { oVar, oStart, oMember, oSign, oSlot } = c;
  for (let k = 0; k < oVar.length; k++) {
    const o = oVar[k] as number;
    for (let t = oStart[k] as number; t < (oStart[k + 1] as number); t++) {
      J[oSlot[t] as number] = (oSign[t] as number) * (fs[o] as number) * (zs[oMember[t] as number] as number);
    }
  }
  const { qVar, qStart, qRoute, qSlot } = c;
  for (let k = 0; k < qVar.length; k++) {
    const q = qVar[k] as number;
    for (let t = qStart[k] as number; t < (qStart[k + 1] as number); t++) {
      J[qSlot[t] as number] = -(fs[q] as number) * (zs[qRoute[t] as number] as number);
    }
  }
  return J;
}

/** log(1e-9): isoelastic demand is held flat below 1e-9 of its reference price. */
const LOG_FLOOR = Math.log(1e-9);

/**
 * max(a, b) smoothed to width δ: ½(a + b + √((a − b)² + 4δ²)), within δ of the max and smooth; `softMaxSlope` is its
 * derivative along a (along b: 1 minus it).
 */
function softMax(a: number, b: number, delta: number): number {
  const gap = a - b;
  return 0.5 * (a + b + Math.sqrt(gap * gap + 4 * delta * delta));
}
function softMaxSlope(a: number, b: number, delta: number): number {
  const gap = a - b;
  return 0.5 * (1 + gap / Math.sqrt(gap * gap + 4 * delta * delta));
}

/**
 * Writes F(z) (scaled) into `f` and, when `J` is given, the Jacobian's values at the pattern's slots. `epsilon` is the
 * tie-breaking slope (0 for the exact conditions). Routes flagged in `skip` (held by the caller) count in the
 * balances but their own conditions are not evaluated. `smoothing` > 0 smooths the kinks, max(floor, duty-paid) and
 * max(price, strike), to a width of `smoothing` × the floor or strike (softMax); 0, the default, is exact.
 */
export function evaluateConditions(
  c: CompiledShape,
  d: ConditionData,
  epsilon: number,
  z: Float64Array,
  f: Float64Array,
  J?: Float64Array,
  skip?: Uint8Array,
  smoothing = 0,
): void {
  const { n, zs, fs, logZs, logarithmic, x, dxdz } = d;
  const jac = J ?? d.scratch;
  for (let i = 0; i < n; i++) {
    const zi = z[i] as number;
    if (logarithmic[i]) {
      const v = (zs[i] as number) * Math.exp(zi);
      x[i] = v;
      dxdz[i] = v;
    } else {
      x[i] = zi * (zs[i] as number);
      dxdz[i] = zs[i] as number;
    }
  }
  f.fill(0);
  if (J) J.set(d.constant);

  // Demand.
  const { dNode, dSlot, dStart, dCurve } = c;
  const { cKind, cA, cB, cE, cLogB } = d;
  for (let k = 0; k < dNode.length; k++) {
    const node = dNode[k] as number;
    const p = x[node] as number;
    const logP = logarithmic[node] ? (z[node] as number) + (logZs[node] as number) : Math.log(Math.max(p, 0));
    let dem = 0;
    let slope = 0;
    for (let t = dStart[k] as number; t < (dStart[k + 1] as number); t++) {
      const curve = dCurve[t] as number;
      if (cKind[curve] === 0) {
        const logP0 = cLogB[curve] as number;
        const elasticity = cE[curve] as number;
        const pe = Math.max(p, (cB[curve] as number) * 1e-9);
        const q = (cA[curve] as number) * Math.exp(elasticity * (Math.max(logP, logP0 + LOG_FLOOR) - logP0));
        dem += q;
        slope += (elasticity * q) / pe;
      } else {
        const q = (cA[curve] as number) - (cB[curve] as number) * p;
        if (q > 0) {
          dem += q;
          slope -= cB[curve] as number;
        }
      }
    }
    f[node] = (f[node] as number) - dem;
    jac[dSlot[k] as number] = -slope * (fs[node] as number) * (dxdz[node] as number);
  }

  // Supply curves, on what the node's producers earn (price plus origin rent).
  const { sNode, sSlotNN, sSlotNO, sSlotON, sSlotOO, originOf } = c;
  for (let k = 0; k < sNode.length; k++) {
    const node = sNode[k] as number;
    const o = originOf[node] as number;
    const own = (x[node] as number) + (o >= 0 ? (x[o] as number) : 0);
    const supply = (d.sIntercept[k] as number) + (d.sSlope[k] as number) * own;
    const on = supply > 0;
    const slope = on ? (d.sSlope[k] as number) : 0;
    if (on) f[node] = (f[node] as number) + supply;
    jac[sSlotNN[k] as number] = slope * (fs[node] as number) * (dxdz[node] as number);
    if (o >= 0) {
      jac[sSlotNO[k] as number] = slope * (fs[node] as number) * (dxdz[o] as number);
      if (on) f[o] = (f[o] as number) + supply;
      jac[sSlotON[k] as number] = slope * (fs[o] as number) * (dxdz[node] as number);
      jac[sSlotOO[k] as number] = slope * (fs[o] as number) * (dxdz[o] as number);
    }
  }

  // Producers: output into the balance, inputs out of their region's balance; the margin condition.
  const { aVar, aNode, aOrigin, aSlotQN, aSlotQO, aSlotQQ, aInStart, iNode, iSlotQI } = c;
  const { aCost, aStrike, aTie, iCoef } = d;
  for (let k = 0; k < aVar.length; k++) {
    const q = aVar[k] as number;
    const node = aNode[k] as number;
    const o = aOrigin[k] as number;
    const output = x[q] as number;
    const fq = fs[q] as number;
    f[node] = (f[node] as number) + output;
    let g = aCost[k] as number;
    for (let t = aInStart[k] as number; t < (aInStart[k + 1] as number); t++) {
      const input = iNode[t] as number;
      const coefficient = iCoef[t] as number;
      g += coefficient * (x[input] as number);
      jac[iSlotQI[t] as number] = coefficient * fq * (dxdz[input] as number);
      f[input] = (f[input] as number) - coefficient * output;
    }
    const p = (x[node] as number) + (o >= 0 ? (x[o] as number) : 0);
    const strike = aStrike[k] as number;
    let earns = -1;
    if (smoothing > 0 && strike > 0) {
      g -= softMax(p, strike, smoothing * strike);
      earns = -softMaxSlope(p, strike, smoothing * strike);
    } else if (strike > p) {
      earns = 0;
      g -= strike;
    } else g -= p;
    jac[aSlotQN[k] as number] = earns * fq * (dxdz[node] as number);
    if (o >= 0) jac[aSlotQO[k] as number] = earns * fq * (dxdz[o] as number);
    // Tie-breaking: unit cost rises by ε (of the price scale) per market-size of output.
    const tie = epsilon * (aTie[k] as number);
    g += tie * output;
    jac[aSlotQQ[k] as number] = tie * fq * (dxdz[q] as number);
    f[q] = g;
  }

  // Stock moves: purchases v ⊥ p − buy price; releases v ⊥ release price − own price.
  const { kVar, kNode, kOrigin, kSign, kSlotVN } = c;
  for (let k = 0; k < kVar.length; k++) {
    const v = kVar[k] as number;
    const node = kNode[k] as number;
    const sign = kSign[k] as number;
    f[node] = (f[node] as number) + sign * (x[v] as number);
    if (sign < 0) {
      f[v] = (x[node] as number) - (d.kPrice[k] as number);
      jac[kSlotVN[k] as number] = (fs[v] as number) * (dxdz[node] as number);
    } else {
      const o = kOrigin[k] as number;
      f[v] = (d.kPrice[k] as number) - (x[node] as number) - (o >= 0 ? (x[o] as number) : 0);
      jac[kSlotVN[k] as number] = -(fs[v] as number) * (dxdz[node] as number);
    }
  }

  // Routes: flows between balances; the arbitrage condition landed − p_to (in logs into logarithmic prices).
  const { rVar, rFrom, rTo, rLog, rSlotEF, rSlotET, rSlotEE, rRentStart, eRentVar, eRentSlot } = c;
  const { rFreight, rMarkup, rSpecific, rTax, rFloor, rTie } = d;
  for (let k = 0; k < rVar.length; k++) {
    const e = rVar[k] as number;
    const from = rFrom[k] as number;
    const to = rTo[k] as number;
    const flow = x[e] as number;
    f[to] = (f[to] as number) + flow;
    f[from] = (f[from] as number) - flow;
    // A route left out of the working set: its flow counts in the balances, its own condition is not needed.
    if (skip?.[e]) continue;
    const r0 = rRentStart[k] as number;
    const r1 = rRentStart[k + 1] as number;
    let rent = 0;
    for (let t = r0; t < r1; t++) rent += x[eRentVar[t] as number] as number;
    const markup = rMarkup[k] as number;
    const tax = rTax[k] as number;
    const dutyPaid = ((x[from] as number) * tax + rent + (rFreight[k] as number)) * markup + (rSpecific[k] as number);
    const floor = rFloor[k] as number;
    // The landed cost: duty-paid, or the floor where it binds (its derivative along duty-paid: 1 or 0, in between
    // where the kink is smoothed).
    let levied: number;
    let along: number;
    if (smoothing > 0 && floor > 0) {
      levied = softMax(dutyPaid, floor, smoothing * floor);
      along = softMaxSlope(dutyPaid, floor, smoothing * floor);
    } else if (floor > dutyPaid) {
      levied = floor;
      along = 0;
    } else {
      levied = dutyPaid;
      along = 1;
    }
    const tieSlope = epsilon * (rTie[k] as number);
    const landed = levied + tieSlope * flow;
    const fe = fs[e] as number;
    let g = 1;
    if (rLog[k] === 1) {
      const safe = Math.max(landed, Number.MIN_VALUE);
      g = 1 / safe;
      f[e] = Math.log(safe) - ((z[to] as number) + (logZs[to] as number));
      jac[rSlotET[k] as number] = -fe;
    } else {
      f[e] = landed - (x[to] as number);
      jac[rSlotET[k] as number] = -fe * (dxdz[to] as number);
    }
    const dRent = along * markup * g * fe;
    jac[rSlotEF[k] as number] = dRent * tax * (dxdz[from] as number);
    for (let t = r0; t < r1; t++) jac[eRentSlot[t] as number] = dRent * (dxdz[eRentVar[t] as number] as number);
    jac[rSlotEE[k] as number] = tieSlope * g * fe * (dxdz[e] as number);
  }

  // Origin limits: own output and releases, less exports (the supply curves' part is added above).
  const { oVar, oStart, oMember, oSign } = c;
  for (let k = 0; k < oVar.length; k++) {
    const o = oVar[k] as number;
    let made = 0;
    for (let t = oStart[k] as number; t < (oStart[k + 1] as number); t++) {
      made += (oSign[t] as number) * (x[oMember[t] as number] as number);
    }
    f[o] = (f[o] as number) + made;
  }
  // Export quotas.
  const { qVar, qStart, qRoute } = c;
  for (let k = 0; k < qVar.length; k++) {
    let shipped = 0;
    for (let t = qStart[k] as number; t < (qStart[k + 1] as number); t++) shipped += x[qRoute[t] as number] as number;
    f[qVar[k] as number] = (d.qQuota[k] as number) - shipped;
  }
  for (let i = 0; i < n; i++) f[i] = (f[i] as number) * (fs[i] as number);
}

/** A point's model value of variable `i` in solver coordinates `zi`. */
function modelValue(d: ConditionData, i: number, zi: number): number {
  const s = d.zs[i] as number;
  return d.logarithmic[i] ? s * Math.exp(zi) : zi * s;
}

/**
 * The first kink of F met on the segment z + α·dz, 0 < α <= `step`: where a member's floor starts or stops binding
 * on a route (landed = max(floor, duty-paid)) or a CfD's strike on a producer (max(price, strike)). On one side of
 * such a kink the Jacobian does not see the other: a floor that binds makes a route's condition blind to its
 * origin's price, so a Newton step can raise that price far beyond where duty-paid passes the floor, and the
 * residual jumps there. Returns the step just past the first crossing (so that the next Jacobian is taken on the
 * far side), or `step` if the segment crosses none. A variable within a hair of its kink (1e-9 of its size) is not
 * counted: it sits on the kink already.
 */
export function kinkStep(c: CompiledShape, d: ConditionData, z: Float64Array, dz: Float64Array, step: number): number {
  let first = step;
  // The crossing of g(α) − level between 0 and `hi`, g(0) and g(hi) on either side, by bisection on the exact g.
  const crossing = (g: (alpha: number) => number, level: number, hi: number): number => {
    let lo = 0;
    let top = hi;
    const below = g(0) < level;
    for (let it = 0; it < 40 && top - lo > 1e-12 * hi; it++) {
      const mid = 0.5 * (lo + top);
      if (g(mid) < level === below) lo = mid;
      else top = mid;
    }
    return top;
  };
  const { rVar, rFrom, rRentStart, eRentVar } = c;
  const { rFreight, rMarkup, rSpecific, rTax, rFloor } = d;
  for (let k = 0; k < rVar.length; k++) {
    const floor = rFloor[k] as number;
    if (Number.isNaN(floor)) continue;
    const from = rFrom[k] as number;
    const r0 = rRentStart[k] as number;
    const r1 = rRentStart[k + 1] as number;
    const dutyPaid = (alpha: number) => {
      let rent = 0;
      for (let t = r0; t < r1; t++) {
        const q = eRentVar[t] as number;
        rent += modelValue(d, q, (z[q] as number) + alpha * (dz[q] as number));
      }
      const p = modelValue(d, from, (z[from] as number) + alpha * (dz[from] as number));
      return (
        (p * (rTax[k] as number) + rent + (rFreight[k] as number)) * (rMarkup[k] as number) + (rSpecific[k] as number)
      );
    };
    const now = dutyPaid(0) - floor;
    if (Math.abs(now) <= 1e-9 * floor) continue;
    const then = dutyPaid(first) - floor;
    if (now < 0 === then < 0) continue;
    first = Math.min(first, crossing(dutyPaid, floor, first));
  }
  const { aVar, aNode, aOrigin } = c;
  const { aStrike } = d;
  for (let k = 0; k < aVar.length; k++) {
    const strike = aStrike[k] as number;
    if (!(strike > 0)) continue;
    const node = aNode[k] as number;
    const o = aOrigin[k] as number;
    const price = (alpha: number) =>
      modelValue(d, node, (z[node] as number) + alpha * (dz[node] as number)) +
      (o >= 0 ? modelValue(d, o, (z[o] as number) + alpha * (dz[o] as number)) : 0);
    const now = price(0) - strike;
    if (Math.abs(now) <= 1e-9 * strike) continue;
    const then = price(first) - strike;
    if (now < 0 === then < 0) continue;
    first = Math.min(first, crossing(price, strike, first));
  }
  return first;
}
