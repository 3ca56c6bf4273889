/* memgenLive.kernels: the inner loops of memgenLive.fit.lossAndGrads (dotBlock, gatherRows, the
 * masks' outer products) in WebAssembly SIMD, with the same arithmetic in double precision
 * (kernels.c; only the order of the additions differs, so results agree with the JavaScript
 * loops to about 1e-15 relative).
 *
 * The module is embedded below as base64 (make_kernels.py builds it with Debian's clang and lld),
 * so it loads from file:// and inside the Blob worker with nothing fetched. Each Arena owns one
 * WebAssembly memory and one instance, so two workspaces never share memory. Where WebAssembly or
 * its SIMD is missing (or `memgenLive.kernels.enabled` is set to false) `available()` is false
 * and memgenLive.fit runs its JavaScript loops instead: the page works either way.
 */
function memgenLive_kernels(root) {
  'use strict';

  // WASM_BASE64 begin
  var WASM_BASE64 = [
    'AGFzbQEAAAABJANgCn9/f39/f39/f38AYAl/f39/f39/f38AYAd/f39/f3x/AAIPAQNlbnYGbWVtb3J5AgABAwQD',
    'AAECBg0CfwFBgBALfwBBgBALBzYECWRvdF9ibG9jawAAC2dhdGhlcl9yb3dzAAEKbWFza19vdXRlcgACC19faGVh',
    'cF9iYXNlAwEKyywDgxcFIH8IewF/BXsNfAJAAkAgAUEBaiACSA0AIAEhCgwBCyAGQX5xIQsgBkEDdCEMIAZBBHQh',
    'DSAGQQV0IQ4gBkEDcSEPIAZBfHEhECAEQQNqIREgByAJQQN0aiESIAAgBiABbEEDdGohEyADIAYgBGxBA3RqIRQg',
    'ACAGIAFBA3RBCGpsaiEVIAMgBiAEQQN0IhZBCGpsaiEXIAMgBiAWQRBqbGohGCADIAYgFkEYamxqIRkgBkF8aiIa',
    'QQJ2QQFqIhZBAXEhGyAWQf7///8HcSEcA0AgEiABIAhsQQN0aiIdIAhBA3RqIR4gACABIAZsQQN0aiIfIAxqISAg',
    'BCEhAkAgESAFTg0AICAgC0EDdCIKaiEiIB8gCmohIyAUISQgFyElIBghJiAZIScgESEoIAQhKQNAAkACQCALQQFO',
    'DQD9DAAAAAAAAAAAAAAAAAAAAAAiKiErICohLCAqIS0gKiEuICohLyAqITAgKiExDAELQQAhFkEAITL9DAAAAAAA',
    'AAAAAAAAAAAAAAAiMSEwIDEhLyAxIS4gMSEtIDEhLCAxISsgMSEqA0AgLCAVIBZq/QAAACIzICcgFmr9AAAAIjT9',
    '8gH98AEhLCArIDMgJiAWav0AAAAiNf3yAf3wASErICogMyAlIBZq/QAAACI2/fIB/fABISogLSAzICQgFmr9AAAA',
    'Ijf98gH98AEhLSAuIBMgFmr9AAAAIjMgNP3yAf3wASEuIC8gMyA1/fIB/fABIS8gMCAzIDb98gH98AEhMCAxIDMg',
    'N/3yAf3wASExIBZBEGohFiAyQQJqIjIgC0gNAAsLICz9IQAgLP0hAaAhOCAr/SEAICv9IQGgITkgKv0hACAq/SEB',
    'oCE6IC39IQAgLf0hAaAhOyAu/SEAIC79IQGgITwgL/0hACAv/SEBoCE9IDD9IQAgMP0hAaAhPiAx/SEAIDH9IQGg',
    'IT8CQCALIAZODQAgIisDACJAIAMgKSAGbEEDdGoiFiAMaiIyIAxqIiEgDGogCmorAwAiQaIgOKAhOCBAICEgCmor',
    'AwAiQqIgOaAhOSBAIDIgCmorAwAiQ6IgOqAhOiBAIBYgCmorAwAiRKIgO6AhOyAjKwMAIkAgQaIgPKAhPCBAIEKi',
    'ID2gIT0gQCBDoiA+oCE+IEAgRKIgP6AhPwsgHSApQQN0IhZqID85AwAgHSAWQQhqIjJqID45AwAgHSAWQRBqIiFq',
    'ID05AwAgHSAoQQN0IihqIDw5AwAgHiAyaiA6OQMAIB4gFmogOzkDACAeICFqIDk5AwAgHiAoaiA4OQMAICQgDmoh',
    'JCAlIA5qISUgJiAOaiEmICcgDmohJyApQQdqISggKUEEaiIhISkgKCAFSA0ACwsCQCAhIAVODQAgAyAGICFsQQN0',
    'aiEWA0AgAyAhIAZsQQN0aiEKAkACQCAGQQRIIilFDQD9DAAAAAAAAAAAAAAAAAAAAAAhM0EAISQMAQv9DAAAAAAA',
    'AAAAAAAAAAAAAAAhMwJAAkAgGkEETw0AQQAhJiAzITEMAQtBACEyIBwhJ0EAISYgMyExA0AgMSATIDJqIiT9AAAA',
    'IBYgMmoiJf0AAAD98gH98AEgJEEgav0AAAAgJUEgav0AAAD98gH98AEhMSAzICRBEGr9AAAAICVBEGr9AAAA/fIB',
    '/fABICRBMGr9AAAAICVBMGr9AAAA/fIB/fABITMgMkHAAGohMiAmQQhqISYgJ0F+aiInDQALCwJAIBtFDQAgMyAf',
    'ICZBA3QiMmoiJP0AABAgCiAyaiIy/QAAEP3yAf3wASEzIDEgJP0AAAAgMv0AAAD98gH98AEhMQsgMSAz/fABITMg',
    'ECEkCyAz/SEAIDP9IQGgITgCQCAkIAZODQAgJEF/cyAGaiEmAkAgD0UNACAkQQN0ITIgDyElA0AgEyAyaisDACAW',
    'IDJqKwMAoiA4oCE4IDJBCGohMiAkQQFqISQgJUF/aiIlDQALCyAmQQNJDQAgJEEDdCEyIAYgJGshJgNAIBMgMmoi',
    'JEEYaisDACAWIDJqIiVBGGorAwCiICRBEGorAwAgJUEQaisDAKIgJEEIaisDACAlQQhqKwMAoiAkKwMAICUrAwCi',
    'IDigoKCgITggMkEgaiEyICZBfGoiJg0ACwsgHSAhQQN0IihqIDg5AwACQAJAIClFDQD9DAAAAAAAAAAAAAAAAAAA',
    'AAAhM0EAISQMAQv9DAAAAAAAAAAAAAAAAAAAAAAhMwJAAkAgGkEETw0AQQAhJiAzITEMAQtBACEyIBwhJ0EAISYg',
    'MyExA0AgMSAVIDJqIiT9AAAAIBYgMmoiJf0AAAD98gH98AEgJEEgav0AAAAgJUEgav0AAAD98gH98AEhMSAzICRB',
    'EGr9AAAAICVBEGr9AAAA/fIB/fABICRBMGr9AAAAICVBMGr9AAAA/fIB/fABITMgMkHAAGohMiAmQQhqISYgJ0F+',
    'aiInDQALCwJAIBtFDQAgMyAgICZBA3QiMmoiJP0AABAgCiAyaiIy/QAAEP3yAf3wASEzIDEgJP0AAAAgMv0AAAD9',
    '8gH98AEhMQsgMSAz/fABITMgECEkCyAz/SEAIDP9IQGgITgCQCAkIAZODQAgJEF/cyAGaiEmAkAgD0UNACAkQQN0',
    'ITIgDyElA0AgFSAyaisDACAWIDJqKwMAoiA4oCE4IDJBCGohMiAkQQFqISQgJUF/aiIlDQALCyAmQQNJDQAgJEED',
    'dCEyIAYgJGshJgNAIBUgMmoiJEEYaisDACAWIDJqIiVBGGorAwCiICRBEGorAwAgJUEQaisDAKIgJEEIaisDACAl',
    'QQhqKwMAoiAkKwMAICUrAwCiIDigoKCgITggMkEgaiEyICZBfGoiJg0ACwsgHiAoaiA4OQMAIBYgDGohFiAhQQFq',
    'IiEgBUcNAAsLIBMgDWohEyAVIA1qIRUgAUEDaiEWIAFBAmoiCiEBIBYgAkgNAAsLAkAgCiACTg0AIAZBA3QhJiAG',
    'QQNxIR0gBkF8cSEeIAMgBiAEbEEDdGohDyAAIAogBmxBA3RqISQgBkF8aiIpQQJ2QQFqIhZB/v///wdxIQwgFkEB',
    'cSEOIAZBBEghIQNAAkAgBCAFTg0AIAogCGwgCWohJyAAIAogBmxBA3RqISggDyEyIAQhCwNAAkACQCAhRQ0A/QwA',
    'AAAAAAAAAAAAAAAAAAAAITNBACETDAEL/QwAAAAAAAAAAAAAAAAAAAAAITNBACEVAkACQCApQQRPDQAgMyExDAEL',
    'IDIhFiAkIRMgDCElIDMhMQNAIDMgE0EQav0AAAAgFkEQav0AAAD98gH98AEgE0Ewav0AAAAgFkEwav0AAAD98gH9',
    '8AEhMyAxIBP9AAAAIBb9AAAA/fIB/fABIBNBIGr9AAAAIBZBIGr9AAAA/fIB/fABITEgFkHAAGohFiATQcAAaiET',
    'IBVBCGohFSAlQX5qIiUNAAsLAkAgDkUNACAzICggFUEDdCIWaiIT/QAAECADIAsgBmxBA3RqIBZqIhb9AAAQ/fIB',
    '/fABITMgMSAT/QAAACAW/QAAAP3yAf3wASExCyAxIDP98AEhMyAeIRMLIDP9IQAgM/0hAaAhOAJAIBMgBk4NACAT',
    'QX9zIAZqISUCQCAdRQ0AIBNBA3QhFiAdIRUDQCAkIBZqKwMAIDIgFmorAwCiIDigITggFkEIaiEWIBNBAWohEyAV',
    'QX9qIhUNAAsLICVBA0kNACATQQN0IRYgBiATayElA0AgJCAWaiITQRhqKwMAIDIgFmoiFUEYaisDAKIgE0EQaisD',
    'ACAVQRBqKwMAoiATQQhqKwMAIBVBCGorAwCiIBMrAwAgFSsDAKIgOKCgoKAhOCAWQSBqIRYgJUF8aiIlDQALCyAH',
    'ICcgC2pBA3RqIDg5AwAgMiAmaiEyIAtBAWoiCyAFRw0ACwsgJCAmaiEkIApBAWoiCiACRw0ACwsLuA0KD38BfAF/',
    'AXwBfwF8AX8BfAV/BHsgA0F+cSEJIAAgAUEDdCIKaiELQQAhDAJAIAZBBEgNACAAIApqIQ0gACADIAFqQQN0aiEO',
    'QQAhDCAJQQFIIQ8DQCAEIAwgBWpBAnRqIgooAgAiECADbCERIApBDGooAgAiEiADbCETIApBCGooAgAiFCADbCEV',
    'IApBBGooAgAiFiADbCEXIAcgDCAIakEDdGoiCisDACEYIApBGGoiGSsDACEaIApBEGoiGysDACEcIApBCGoiHSsD',
    'ACEeQQAhHwJAIA8NACACIBFBA3RqISAgAiATQQN0aiEhIAIgFUEDdGohIiACIBdBA3RqISMgCv0KAwAhJCAZ/QoD',
    'ACElIBv9CgMAISYgHf0KAwAhJ0EAIR8gCyEKA0AgCiAK/QAAACAkICD9AAAA/fIBICcgI/0AAAD98gH98AEgJiAi',
    '/QAAAP3yASAlICH9AAAA/fIB/fAB/fAB/fAB/QsAACAgQRBqISAgI0EQaiEjICJBEGohIiAhQRBqISEgCkEQaiEK',
    'IB9BAmoiHyAJSA0ACwsCQCAfIANODQACQCADIB9rIhtBAkkNACANIB9BA3RqIgogAiASQQFqIANsQQN0akkgAiAf',
    'IBNqQQN0aiIgIA5JcQ0AIAogAiAUQQFqIANsQQN0akkgAiAfIBVqQQN0aiIhIA5JcQ0AIAogAiAWQQFqIANsQQN0',
    'akkgAiAfIBdqQQN0aiIiIA5JcQ0AIAogAiAQQQFqIANsQQN0akkgAiAfIBFqQQN0aiIjIA5JcQ0AIB8gG0F+cSId',
    'aiEfIBr9FCEkIBz9FCElIBj9FCEmIB79FCEnIB0hGQNAIAogCv0AAwAgJCAg/QADAP3yASAlICH9AAMA/fIBICYg',
    'I/0AAwD98gEgJyAi/QADAP3yAf3wAf3wAf3wAf3wAf0LAwAgCkEQaiEKICBBEGohICAhQRBqISEgIkEQaiEiICNB',
    'EGohIyAZQX5qIhkNAAsgGyAdRg0BCyADIB9rIRkgDSAfQQN0aiEKIAIgHyARakEDdGohICACIB8gF2pBA3RqISEg',
    'AiAfIBVqQQN0aiEiIAIgHyATakEDdGohIwNAIAogCisDACAaICMrAwCiIBwgIisDAKIgGCAgKwMAoiAeICErAwCi',
    'oKCgoDkDACAgQQhqISAgIUEIaiEhICJBCGohIiAjQQhqISMgCkEIaiEKIBlBf2oiGQ0ACwsgDEEEaiIMQQNyIAZI',
    'DQALCwJAIAwgBk4NAEEAIANrIR0gACABQQN0aiEbIAAgAyABakEDdGohECAJQX9qIhdBAXZBAWoiCkF+cSESIApB',
    'AXEhEQNAIAIgBCAMIAVqQQJ0aigCACIfIANsIhNBA3RqIRkgByAMIAhqQQN0aiIKKwMAIRhBACEhAkAgCUEBSA0A',
    'IAr9CgMAISRBACEhAkAgF0EBRg0AQQAhISASISIgGSEgIAshCgNAIAogCv0AAAAgJCAg/QAAAP3yAf3wAf0LAAAg',
    'CkEQaiIjICP9AAAAICQgIEEQav0AAAD98gH98AH9CwAAICBBIGohICAKQSBqIQogIUEEaiEhICJBfmoiIg0ACwsg',
    'EUUNACALICFBA3QiCmoiICAg/QAAACAkIBkgCmr9AAAA/fIB/fAB/QsAACAhQQJqISELAkAgISADTg0AAkAgAyAh',
    'ayIVQQJJDQAgAiAhIBNqQQN0aiEgAkAgGyAhQQN0aiIKIAIgH0EBaiADbEEDdGpPDQAgICAQSQ0BCyAVQX5xIhRB',
    'fmoiIkEBdkEBaiIjQQFxIRYgGP0UISQCQAJAICINAEEAISIMAQsgI0F+cSEjQQAhIgNAIAogJCAg/QADAP3yASAK',
    '/QADAP3wAf0LAwAgCkEQaiIfICQgIEEQav0AAwD98gEgH/0AAwD98AH9CwMAICBBIGohICAKQSBqIQogIkEEaiEi',
    'ICNBfmoiIw0ACwsCQCAWRQ0AIAsgISAiakEDdCIKaiIgICQgGSAKav0AAwD98gEgIP0AAwD98AH9CwMACyAVIBRG',
    'DQEgISAUaiEhCyAhQX9zIQoCQCADICFrQQFxRQ0AIAsgIUEDdCIgaiIiIBggGSAgaisDAKIgIisDAKA5AwAgIUEB',
    'aiEhCyAKIB1GDQAgAyAhayEiIBsgIUEDdGohCiACICEgE2pBA3RqISADQCAKIBggICsDAKIgCisDAKA5AwAgCkEI',
    'aiIhIBggIEEIaisDAKIgISsDAKA5AwAgCkEQaiEKICBBEGohICAiQX5qIiINAAsLIAxBAWoiDCAGRw0ACwsLiQgD',
    'Bn8BfAp/AkAgBkEBSA0AIAFBAnQhByACQQRqIQggAiEJQQAhCgNAAkAgAyAKQQJ0aigCACILQQFIDQAgAiAKIAFs',
    'QQJ0aiEMIAQgCkEDdGorAwAgBaIhDSALQQNqIQ4gC0F+aiEPQQAhECAIIREDQCAAIAwgEEECdGooAgAiEiABbEED',
    'dGoiEyASQQN0aiISIA0gEisDAKA5AwACQCAQQQFqIhIgC0YNACAPIBBrIRQCQCALIBBBf3NqQQNxRQ0AQQAgDkED',
    'cWshFUEAIRYgESESA0AgEyASKAIAQQN0aiIXIA0gFysDAKA5AwAgEkEEaiESIBUgFkF/aiIWRw0ACyAQIBZrQQFq',
    'IRILIBRBA0kNACALIBJrIRYgCSASQQJ0aiESA0AgEyASKAIAQQN0aiIXIA0gFysDAKA5AwAgEyASQQRqKAIAQQN0',
    'aiIXIA0gFysDAKA5AwAgEyASQQhqKAIAQQN0aiIXIA0gFysDAKA5AwAgEyASQQxqKAIAQQN0aiIXIA0gFysDAKA5',
    'AwAgEkEQaiESIBZBfGoiFg0ACwsgDkEDaiEOIBFBBGohESAQQQFqIhAgC0cNAAsLIAkgB2ohCSAIIAdqIQggCkEB',
    'aiIKIAZHDQALCwJAIAFBAUgNACABQQR0IRAgAUF9aiEKIABBGGohCCABQQV0IQxBACEJQQAgAWshAiAAIAFBA3Qi',
    'EmohCyASQQhqIRQgACABQRhsaiEOIAAhD0EAIREDQAJAIBEiFUEBaiIRIAFODQAgFSABbCEGIBEhEwJAIBVBf3Mg',
    'AWoiB0ECSQ0AIBEhEyABQQFHDQAgB0F+aiISQQF2QQFqQQFxIQNBACEWAkAgEkECSQ0AIApBAXZBAWpBfnEhF0EA',
    'IRIgCCETQQAhFgNAIAsgEmogE0Fwav0AAwD9CwMAIA4gEmogE/0AAwD9CwMAIBNBIGohEyASIAxqIRIgFkEEaiEW',
    'IBdBfmoiFw0ACwsgB0F+cSESAkAgA0UNACAAIBEgFmoiEyABbCAVakEDdGogACATIAZqQQN0av0AAwD9CwMACyAH',
    'IBJGDQEgESASaiETCyATQX9zIRICQCABIBNrQQFxRQ0AIAAgEyABbCAVakEDdGogACATIAZqQQN0aisDADkDACAT',
    'QQFqIRMLIBIgAkYNACABIBNrIRYgDyABIBNsQQN0aiEXIAAgEyAJakEDdGohEiAPIAEgE0EBamxBA3RqIRVBACET',
    'A0AgFyATaiASKwMAOQMAIBUgE2ogEkEIaisDADkDACASQRBqIRIgEyAQaiETIBZBfmoiFg0ACwsgCSABaiEJIA9B',
    'CGohDyAKQX9qIQogCyAUaiELIAggFGohCCAOIBRqIQ4gESABRw0ACwsLAEAEbmFtZQElAwAJZG90X2Jsb2NrAQtn',
    'YXRoZXJfcm93cwIKbWFza19vdXRlcgcSAQAPX19zdGFja19wb2ludGVyAC0JcHJvZHVjZXJzAQxwcm9jZXNzZWQt',
    'YnkBDERlYmlhbiBjbGFuZwYxNC4wLjYAJw90YXJnZXRfZmVhdHVyZXMCKwtidWxrLW1lbW9yeSsHc2ltZDEyOA==',
  ].join('');
  // WASM_BASE64 end

  var PAGE = 65536;
  var state = { module: undefined, heapBase: 0, error: null };

  function decode(b64) {
    var s = atob(b64), bytes = new Uint8Array(s.length);
    for (var k = 0; k < s.length; k++) bytes[k] = s.charCodeAt(k);
    return bytes;
  }

  /** The compiled module, or null (with `error()` saying why) where it cannot be used. */
  function compiled() {
    if (state.module !== undefined) return state.module;
    try {
      if (typeof WebAssembly !== 'object') throw new Error('this browser has no WebAssembly');
      var bytes = decode(WASM_BASE64);
      if (!WebAssembly.validate(bytes)) throw new Error('WebAssembly SIMD is not supported here');
      var mod = new WebAssembly.Module(bytes);
      var memory = new WebAssembly.Memory({ initial: 1 });
      var probe = new WebAssembly.Instance(mod, { env: { memory: memory } });
      state.heapBase = probe.exports.__heap_base.value;
      state.module = mod;
    } catch (e) {
      state.module = null;
      state.error = String(e && e.message || e);
    }
    return state.module;
  }

  function available() {
    return kernels.enabled !== false && !!compiled();
  }

  var TYPES = { f64: Float64Array, i32: Int32Array, u8: Uint8Array };

  /**
   * Typed arrays in one WebAssembly memory, laid out after the module's own data (16-byte
   * aligned). spec: {name: [type ('f64', 'i32' or 'u8'), length]}; the arrays are the arena's
   * properties of those names.
   */
  function Arena(spec) {
    var mod = compiled();
    if (!mod) throw new Error('memgenLive.kernels: no WebAssembly kernels: ' + state.error);
    var names = Object.keys(spec), offsets = {}, offset = (state.heapBase + 15) & ~15;
    names.forEach(function (name) {
      var type = TYPES[spec[name][0]];
      if (!type) throw new Error('Arena: unknown type ' + spec[name][0] + ' of ' + name);
      offsets[name] = offset;
      offset += (spec[name][1] * type.BYTES_PER_ELEMENT + 15) & ~15;
    });
    this.memory = new WebAssembly.Memory({ initial: Math.max(1, Math.ceil(offset / PAGE)) });
    this.exports = new WebAssembly.Instance(mod, { env: { memory: this.memory } }).exports;
    this.buffer = this.memory.buffer;
    var self = this;
    names.forEach(function (name) {
      self[name] = new TYPES[spec[name][0]](self.buffer, offsets[name], spec[name][1]);
    });
  }

  function own(arena, arrays) {
    for (var k = 0; k < arrays.length; k++) {
      if (arrays[k].buffer !== arena.buffer) {
        throw new Error('memgenLive.kernels: an array outside the arena was passed to a kernel');
      }
    }
  }

  /** out[i*os + oo + k] = U[i*len ..] . V[k*len ..] (fit.js's dotBlock). */
  Arena.prototype.dotBlock = function (U, i0, i1, V, k0, k1, len, out, os, oo) {
    own(this, [U, V, out]);
    this.exports.dot_block(U.byteOffset, i0, i1, V.byteOffset, k0, k1, len, out.byteOffset, os, oo);
  };

  /** out[oo ..] += sum over t < count of coef[co + t] src[list[lo + t] * d ..] (gatherRows). */
  Arena.prototype.gatherRows = function (out, oo, src, d, list, lo, count, coef, co) {
    own(this, [out, src, list, coef]);
    this.exports.gather_rows(out.byteOffset, oo, src.byteOffset, d, list.byteOffset, lo, count,
      coef.byteOffset, co);
  };

  /** Q = sum_i s2 w_i d_i d_i^T from the masks' ascending index lists (fit.js's Q loop). */
  Arena.prototype.maskOuter = function (Q, p, act, cnt, w, s2, n) {
    own(this, [Q, act, cnt, w]);
    Q.fill(0);
    this.exports.mask_outer(Q.byteOffset, p, act.byteOffset, cnt.byteOffset, w.byteOffset, s2, n);
  };

  var kernels = {
    enabled: true, available: available, Arena: Arena,
    error: function () { compiled(); return state.error; },
    name: function () { return available() ? 'wasm-simd' : 'js'; },
  };
  root.kernels = kernels;
}

(function (fn, name, deps) {
  var g = typeof globalThis !== 'undefined' ? globalThis : self;
  var root = g.memgenLive = g.memgenLive || {};
  var node = typeof module !== 'undefined' && module.exports && typeof require === 'function';
  if (node) deps.forEach(function (d) { require('./' + d + '.js'); });
  root.sources = root.sources || {};
  root.sources[name] = fn;
  fn(root);
  if (node) module.exports = root;
})(memgenLive_kernels, 'kernels', []);
