// Runs INSIDE each isolate, once, after runtime.js and before harden.js. Never imported by Node.
//
// Resource guards. isolated-vm bounds CPU with a timeout and memory with a heap limit, but
// V8 has two holes that no timeout or heap limit covers, and both take the whole host
// process down with them (measured on isolated-vm 5.0.4 / Node 20):
//   1. Some builtins loop natively over a caller-given length without ever checking for
//      termination: `Array.prototype.indexOf.call({ length: 2 ** 53 - 1 })`,
//      `Array(2 ** 31).includes(1)`, `JSON.parse` of a huge text ... block the host thread
//      far past the timeout.
//   2. One allocation larger than what is left of the heap is a fatal V8 OOM (abort), not a
//      catchable error: `Array(2 ** 27).fill(0)`, a Map or Set grown in a loop (its table
//      doubles in one step), `'ab'.repeat(2 ** 27).split('')`.
// So the builtins that let a length or a count drive such a loop or allocation are wrapped
// to refuse sizes the isolate could not hold anyway. Sizes come from the memory limit.
// eslint-disable-next-line @typescript-eslint/no-unused-expressions -- the script's value is this function; the host calls it
(function installGuards(configText) {
  'use strict';

  const { maxElements, maxCollectionSize, maxJsonTextLength } = JSON.parse(configText);
  const { apply, construct, defineProperty, get: reflectGet, getOwnPropertyDescriptor } = Reflect;
  const ObjectCtor = Object;
  const OriginalProxy = Proxy;
  const RangeErrorCtor = RangeError;
  const TypeErrorCtor = TypeError;
  const isArray = Array.isArray;
  const weakSetAdd = WeakSet.prototype.add;
  const weakSetHas = WeakSet.prototype.has;
  const mapHas = Map.prototype.has;
  const setHas = Set.prototype.has;
  const mapSize = getOwnPropertyDescriptor(Map.prototype, 'size').get;
  const setSize = getOwnPropertyDescriptor(Set.prototype, 'size').get;
  const MathFloor = Math.floor;
  const MathMin = Math.min;
  const iteratorSymbol = Symbol.iterator;
  const spreadableSymbol = Symbol.isConcatSpreadable;

  function tooLarge(what, size, limit) {
    return new RangeErrorCtor(what + ': ' + size + ' exceeds the sandbox limit of ' + limit);
  }

  /** Replaces a method by a guard with the same name and arity (it stays a non-constructor). */
  function wrap(holder, key, makeGuard) {
    const original = holder[key];
    const guard = makeGuard(original);
    defineProperty(guard, 'name', { value: original.name, configurable: true });
    defineProperty(guard, 'length', { value: original.length, configurable: true });
    defineProperty(holder, key, { value: guard, writable: true, enumerable: false, configurable: true });
  }

  // ---- proxies -----------------------------------------------------------------------
  // A proxy (or a getter) may answer `length` differently when the builtin reads it again,
  // so only genuine arrays are trusted; Array.isArray is true for proxies of arrays too.
  const proxies = new WeakSet();
  const originalRevocable = OriginalProxy.revocable;
  defineProperty(OriginalProxy, 'revocable', {
    value: {
      revocable(target, handler) {
        const pair = apply(originalRevocable, OriginalProxy, [target, handler]);
        apply(weakSetAdd, proxies, [pair.proxy]);
        return pair;
      },
    }.revocable,
    writable: true,
    enumerable: false,
    configurable: true,
  });
  // The Proxy constructor is reachable only through this global (proxies have no
  // `constructor`), so replacing the global is enough to see every proxy made.
  globalThis.Proxy = new OriginalProxy(OriginalProxy, {
    construct(target, args, newTarget) {
      const proxy = construct(target, args, newTarget);
      apply(weakSetAdd, proxies, [proxy]);
      return proxy;
    },
  });

  const isGenuineArray = (value) => isArray(value) && !apply(weakSetHas, proxies, [value]);

  function toLength(value) {
    const n = +value;
    if (!(n > 0)) return 0;
    return n === Infinity ? 2 ** 53 - 1 : MathMin(MathFloor(n), 2 ** 53 - 1);
  }

  /**
   * What to hand to an Array.prototype builtin instead of `value`: the same object when its
   * length cannot change between our read and the builtin's, else a view that answers the
   * length we checked (the spec reads it once per call, so this changes no result).
   */
  function boundedReceiver(value, what) {
    if (value === null || value === undefined) return value; // the builtin throws
    const object = ObjectCtor(value);
    const length = toLength(object.length);
    if (length > maxElements) throw tooLarge(what + ' length', length, maxElements);
    if (typeof value === 'string' || isGenuineArray(object)) return object;
    const own = getOwnPropertyDescriptor(object, 'length');
    if (own !== undefined && 'value' in own && !apply(weakSetHas, proxies, [object])) return object;
    return new OriginalProxy(object, {
      get(target, key) {
        return key === 'length' ? length : reflectGet(target, key);
      },
    });
  }

  // Every Array.prototype method that walks `length` (the rest are O(1) or iterators,
  // which are driven by interruptible code).
  const walking = [
    'concat',
    'copyWithin',
    'every',
    'fill',
    'filter',
    'find',
    'findIndex',
    'findLast',
    'findLastIndex',
    'forEach',
    'includes',
    'indexOf',
    'join',
    'lastIndexOf',
    'map',
    'reduce',
    'reduceRight',
    'reverse',
    'shift',
    'slice',
    'some',
    'sort',
    'splice',
    'toLocaleString',
    'toReversed',
    'toSorted',
    'toSpliced',
    'unshift',
    'with',
  ];
  for (const name of walking) {
    if (typeof Array.prototype[name] !== 'function') continue;
    wrap(
      Array.prototype,
      name,
      (original) =>
        ({
          [name](...args) {
            const receiver = boundedReceiver(this, 'Array.prototype.' + name);
            if (name === 'concat') {
              let total = receiver === null || receiver === undefined ? 0 : toLength(receiver.length);
              for (let i = 0; i < args.length; i++) {
                const arg = args[i];
                if (typeof arg === 'object' && arg !== null && (isArray(arg) || arg[spreadableSymbol])) {
                  args[i] = boundedReceiver(arg, 'Array.prototype.concat argument');
                  total += toLength(args[i].length);
                } else {
                  total += 1;
                }
                if (total > maxElements)
                  throw tooLarge('Array.prototype.concat result length', total, maxElements);
              }
            }
            const result = apply(original, receiver, args);
            // fill, reverse, sort and copyWithin return their receiver: give back the caller's.
            return result === receiver && receiver !== this ? ObjectCtor(this) : result;
          },
        })[name],
    );
  }

  // flat/flatMap recurse into nested arrays the builtin reads natively; a JS version keeps
  // every level bounded and interruptible.
  function flattenInto(out, source, depth, mapper, thisArg) {
    const items = boundedReceiver(source, 'Array.prototype.flat');
    const length = toLength(items.length);
    for (let i = 0; i < length; i++) {
      if (!(i in items)) continue;
      let item = items[i];
      if (mapper !== undefined) item = apply(mapper, thisArg, [item, i, source]);
      if (depth > 0 && isArray(item)) flattenInto(out, item, depth - 1, undefined, undefined);
      else {
        if (out.length >= maxElements)
          throw tooLarge('Array.prototype.flat result length', out.length + 1, maxElements);
        out[out.length] = item;
      }
    }
    return out;
  }
  wrap(
    Array.prototype,
    'flat',
    () =>
      ({
        flat(depth) {
          if (this === null || this === undefined)
            throw new TypeErrorCtor('Array.prototype.flat called on null or undefined');
          const d = depth === undefined ? 1 : +depth;
          return flattenInto([], ObjectCtor(this), d > 0 ? MathFloor(d) : 0, undefined, undefined);
        },
      }).flat,
  );
  wrap(
    Array.prototype,
    'flatMap',
    () =>
      ({
        flatMap(mapper, thisArg) {
          if (this === null || this === undefined)
            throw new TypeErrorCtor('Array.prototype.flatMap called on null or undefined');
          if (typeof mapper !== 'function') throw new TypeErrorCtor('flatMap mapper is not a function');
          return flattenInto([], ObjectCtor(this), 1, mapper, thisArg);
        },
      }).flatMap,
  );

  wrap(
    Array,
    'from',
    (original) =>
      ({
        from(items, ...rest) {
          if (items !== null && items !== undefined) {
            const iterable = items[iteratorSymbol];
            if (iterable === undefined || iterable === null || isGenuineArray(items)) {
              items = boundedReceiver(items, 'Array.from');
            }
          }
          return apply(original, this, [items, ...rest]);
        },
      }).from,
  );

  // ---- collections -------------------------------------------------------------------
  wrap(
    Map.prototype,
    'set',
    (original) =>
      ({
        set(key, value) {
          const size = apply(mapSize, this, []);
          if (size >= maxCollectionSize && !apply(mapHas, this, [key]))
            throw tooLarge('Map size', size + 1, maxCollectionSize);
          return apply(original, this, [key, value]);
        },
      }).set,
  );
  wrap(
    Set.prototype,
    'add',
    (original) =>
      ({
        add(value) {
          const size = apply(setSize, this, []);
          if (size >= maxCollectionSize && !apply(setHas, this, [value]))
            throw tooLarge('Set size', size + 1, maxCollectionSize);
          return apply(original, this, [value]);
        },
      }).add,
  );

  // ---- strings -----------------------------------------------------------------------
  // split builds its whole result natively; cap it through its own `limit` argument.
  function boundedSplit(original) {
    return function (separator, limit) {
      const cap = limit === undefined ? maxElements + 1 : MathMin(limit >>> 0, maxElements + 1);
      const parts = apply(original, this, [separator, cap]);
      if (parts.length > maxElements) throw tooLarge('split result length', parts.length, maxElements);
      return parts;
    };
  }
  wrap(String.prototype, 'split', (original) => ({ split: boundedSplit(original) }).split);
  wrap(
    RegExp.prototype,
    Symbol.split,
    (original) => ({ [Symbol.split]: boundedSplit(original) })[Symbol.split],
  );

  // A global match collects every match natively; on a long enough text that is one huge
  // array. Bound the text (matches never outnumber characters + 1).
  function boundedGlobalMatch(original, what) {
    return function (text, ...rest) {
      const string = `${text}`;
      if (string.length > maxElements && this.global)
        throw tooLarge(what + ' on a text of length', string.length, maxElements);
      return apply(original, this, [string, ...rest]);
    };
  }
  wrap(
    RegExp.prototype,
    Symbol.match,
    (o) => ({ [Symbol.match]: boundedGlobalMatch(o, 'global match') })[Symbol.match],
  );
  wrap(
    RegExp.prototype,
    Symbol.replace,
    (o) => ({ [Symbol.replace]: boundedGlobalMatch(o, 'global replace') })[Symbol.replace],
  );

  wrap(
    String.prototype,
    'replaceAll',
    (original) =>
      ({
        replaceAll(search, replacement) {
          // A regexp goes through its Symbol.replace (guarded above); a plain string is native.
          if ((typeof search !== 'object' && typeof search !== 'function') || search === null) {
            const string = `${this}`;
            if (string.length > maxElements)
              throw tooLarge('replaceAll on a text of length', string.length, maxElements);
          }
          return apply(original, this, [search, replacement]);
        },
      }).replaceAll,
  );

  wrap(
    String,
    'raw',
    (original) =>
      ({
        raw(template, ...substitutions) {
          if (template !== null && template !== undefined) {
            const raw = template.raw;
            if (raw !== null && raw !== undefined) template = { raw: boundedReceiver(raw, 'String.raw') };
          }
          return apply(original, this, [template, ...substitutions]);
        },
      }).raw,
  );

  // ---- argument lists ----------------------------------------------------------------
  // apply/construct copy an array-like into an argument list natively. More arguments than
  // this overflow the stack anyway, so the cap rejects nothing that could have worked.
  const maxArguments = 2 ** 17;
  function boundedArguments(list, what) {
    if (list === null || list === undefined || (typeof list !== 'object' && typeof list !== 'function'))
      return list;
    const length = toLength(list.length);
    if (length > maxArguments) throw tooLarge(what + ' argument count', length, maxArguments);
    return boundedReceiver(list, what);
  }
  wrap(
    Function.prototype,
    'apply',
    () =>
      ({
        apply(thisArg, args) {
          const list =
            args === null || args === undefined ? [] : boundedArguments(args, 'Function.prototype.apply');
          return apply(this, thisArg, list);
        },
      }).apply,
  );
  wrap(
    Reflect,
    'apply',
    () =>
      ({
        apply(target, thisArg, args) {
          return apply(target, thisArg, boundedArguments(args, 'Reflect.apply'));
        },
      }).apply,
  );
  wrap(
    Reflect,
    'construct',
    () =>
      ({
        construct(target, args, ...newTarget) {
          return construct(target, boundedArguments(args, 'Reflect.construct'), ...newTarget);
        },
      }).construct,
  );

  // ---- typed arrays ------------------------------------------------------------------
  // join and toLocaleString convert element by element natively (toLocaleString through
  // Intl: ~0.3 µs each); a typed array may be as long as the heap allows.
  const TypedArrayPrototype = Object.getPrototypeOf(Int8Array.prototype);
  const typedLength = getOwnPropertyDescriptor(TypedArrayPrototype, 'length').get;
  for (const name of ['join', 'toLocaleString']) {
    wrap(
      TypedArrayPrototype,
      name,
      (original) =>
        ({
          [name](...args) {
            const length = apply(typedLength, this, []);
            if (length > maxElements)
              throw tooLarge('TypedArray.prototype.' + name + ' length', length, maxElements);
            return apply(original, this, args);
          },
        })[name],
    );
  }

  // ---- locale lists ------------------------------------------------------------------
  // Every `locales` argument is read as an array-like natively (CanonicalizeLocaleList),
  // whatever length it claims. Real locale lists are a handful of tags.
  const maxLocales = 256;
  function boundedLocales(locales) {
    if (locales === null || locales === undefined || typeof locales !== 'object') return locales;
    const length = toLength(locales.length);
    if (length > maxLocales) throw tooLarge('locale list length', length, maxLocales);
    return boundedReceiver(locales, 'locale list');
  }
  function guardLocalesAt(holder, key, index) {
    if (typeof holder[key] !== 'function') return;
    wrap(
      holder,
      key,
      (original) =>
        ({
          [key](...args) {
            if (args.length > index) args[index] = boundedLocales(args[index]);
            return apply(original, this, args);
          },
        })[key],
    );
  }
  guardLocalesAt(String.prototype, 'localeCompare', 1);
  guardLocalesAt(String.prototype, 'toLocaleLowerCase', 0);
  guardLocalesAt(String.prototype, 'toLocaleUpperCase', 0);
  guardLocalesAt(Number.prototype, 'toLocaleString', 0);
  guardLocalesAt(BigInt.prototype, 'toLocaleString', 0);
  for (const name of ['toLocaleString', 'toLocaleDateString', 'toLocaleTimeString'])
    guardLocalesAt(Date.prototype, name, 0);
  guardLocalesAt(Array.prototype, 'toLocaleString', 0);
  guardLocalesAt(TypedArrayPrototype, 'toLocaleString', 0);
  if (typeof Intl === 'object' && Intl !== null) {
    guardLocalesAt(Intl, 'getCanonicalLocales', 0);
    for (const name of [
      'Collator',
      'DateTimeFormat',
      'DisplayNames',
      'DurationFormat',
      'ListFormat',
      'NumberFormat',
      'PluralRules',
      'RelativeTimeFormat',
      'Segmenter',
    ]) {
      const Original = Intl[name];
      if (typeof Original !== 'function') continue;
      guardLocalesAt(Original, 'supportedLocalesOf', 0);
      const bounded = (args) => {
        if (args.length > 0) args[0] = boundedLocales(args[0]);
        return args;
      };
      // A proxy keeps identity-sensitive behaviour (prototype, instanceof, subclassing);
      // `prototype.constructor` must lead back to the guarded one, not the original.
      const Guarded = new OriginalProxy(Original, {
        apply: (target, thisArg, args) => apply(target, thisArg, bounded(args)),
        construct: (target, args, newTarget) =>
          construct(target, bounded(args), newTarget === Guarded ? target : newTarget),
      });
      defineProperty(Original.prototype, 'constructor', {
        value: Guarded,
        writable: true,
        enumerable: false,
        configurable: true,
      });
      defineProperty(Intl, name, { value: Guarded, writable: true, enumerable: false, configurable: true });
    }
  }

  // JSON.parse runs natively to the end: bound the text.
  wrap(
    JSON,
    'parse',
    (original) =>
      ({
        parse(text, reviver) {
          const string = `${text}`;
          if (string.length > maxJsonTextLength)
            throw tooLarge('JSON.parse text length', string.length, maxJsonTextLength);
          return apply(original, this, [string, reviver]);
        },
      }).parse,
  );

  // ---- resizable buffers ----------------------------------------------------------------
  // A resizable ArrayBuffer reserves `maxByteLength` of address space and commits pages on
  // resize() outside isolated-vm's allocator, so it is never counted against the memory
  // limit (two of them took a host from 150 MB to 2.2 GB). The sandbox has fixed-length
  // buffers only: the option is refused, read once (a getter cannot answer twice).
  {
    const OriginalArrayBuffer = ArrayBuffer;
    const GuardedArrayBuffer = new OriginalProxy(OriginalArrayBuffer, {
      construct(target, args, newTarget) {
        const options = args[1];
        if ((typeof options === 'object' && options !== null) || typeof options === 'function') {
          if (options.maxByteLength !== undefined)
            throw new RangeErrorCtor('resizable ArrayBuffers are not available in the sandbox');
        }
        return construct(target, [args[0]], newTarget === GuardedArrayBuffer ? target : newTarget);
      },
    });
    defineProperty(OriginalArrayBuffer.prototype, 'constructor', {
      value: GuardedArrayBuffer,
      writable: true,
      enumerable: false,
      configurable: true,
    });
    defineProperty(globalThis, 'ArrayBuffer', {
      value: GuardedArrayBuffer,
      writable: true,
      enumerable: false,
      configurable: true,
    });
    // transfer(n) may also produce a resizable buffer (transfer of one keeps it resizable)
    // and allocates n bytes natively: bounded like the constructor's own length.
    for (const key of ['transfer', 'transferToFixedLength']) {
      if (typeof OriginalArrayBuffer.prototype[key] !== 'function') continue;
      wrap(
        OriginalArrayBuffer.prototype,
        key,
        (original) =>
          ({
            [key](length) {
              if (length !== undefined && +length > maxElements * 8)
                throw tooLarge('ArrayBuffer ' + key + ' length', +length, maxElements * 8);
              return apply(original, this, length === undefined ? [] : [length]);
            },
          })[key],
      );
    }
  }
});
