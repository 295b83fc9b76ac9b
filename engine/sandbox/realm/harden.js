// Runs INSIDE each isolate, once, last. Never imported by Node.
//
// Turns the context into a hardened realm shared by every run of the workspace: whatever
// one run could write somewhere global for a later run to read is removed or frozen.
// Returns the list of reachable objects that could not be frozen (the host refuses a
// realm where that list is not empty).
// eslint-disable-next-line @typescript-eslint/no-unused-expressions -- the script's value is this function; the host calls it
(function harden() {
  'use strict';

  const { defineProperty, getOwnPropertyDescriptor, getPrototypeOf, isFrozen, freeze } = Object;
  const { ownKeys, apply } = Reflect;
  const TypeErrorCtor = TypeError;
  const hasOwn = Object.prototype.hasOwnProperty;

  // 1. Globals that carry state across calls or run work outside any call (and so outside
  //    any timeout): V8's console keeps counters and timers, FinalizationRegistry callbacks
  //    and Atomics.waitAsync / WebAssembly.compile settle later from platform tasks.
  for (const name of ['console', 'WebAssembly', 'SharedArrayBuffer', 'Atomics', 'FinalizationRegistry']) {
    delete globalThis[name];
  }
  // Legacy RegExp statics hold the last match made by anyone in this realm: another run's data.
  const regexpStatics = [
    'input',
    '$_',
    'lastMatch',
    '$&',
    'lastParen',
    '$+',
    'leftContext',
    '$`',
    'rightContext',
    "$'",
  ];
  for (let i = 1; i <= 9; i++) regexpStatics.push('$' + i);
  for (const name of regexpStatics) delete RegExp[name];

  // 2. Frozen prototypes turn `obj.toString = f` or `this.name = 'MyError'` into a TypeError
  //    (the "override mistake"). For the properties code commonly shadows, an accessor
  //    keeps assignment working on the instance while the prototype stays untouched.
  function enableOverride(proto, name) {
    const desc = getOwnPropertyDescriptor(proto, name);
    if (desc === undefined || !('value' in desc) || !desc.writable) return;
    const value = desc.value;
    defineProperty(proto, name, {
      get: freeze(
        {
          [name]() {
            return value;
          },
        }[name],
      ),
      set: freeze(
        {
          [name](newValue) {
            if (this === proto)
              throw new TypeErrorCtor(
                "Cannot assign to read only property '" + String(name) + "' of a shared intrinsic",
              );
            if (apply(hasOwn, this, [name])) this[name] = newValue;
            else
              defineProperty(this, name, {
                value: newValue,
                writable: true,
                enumerable: true,
                configurable: true,
              });
          },
        }[name],
      ),
      enumerable: desc.enumerable,
      configurable: false,
    });
  }
  const errorProtos = [
    Error,
    EvalError,
    RangeError,
    ReferenceError,
    SyntaxError,
    TypeError,
    URIError,
    AggregateError,
  ].map((E) => E.prototype);
  const overrides = [
    [
      Object.prototype,
      [
        'constructor',
        'toString',
        'toLocaleString',
        'valueOf',
        'hasOwnProperty',
        'isPrototypeOf',
        'propertyIsEnumerable',
      ],
    ],
    [Function.prototype, ['constructor', 'toString']],
    [Array.prototype, ['constructor', 'toString']],
    [Promise.prototype, ['constructor']],
    ...errorProtos.map((proto) => [proto, ['constructor', 'name', 'message', 'toString']]),
  ];
  for (const [proto, names] of overrides) for (const name of names) enableOverride(proto, name);

  // 3. Deep-freeze every intrinsic: the global object, everything reachable from it through
  //    properties, accessors and prototypes, plus the intrinsics that no global names.
  const getProto = (value) => getPrototypeOf(value);
  const hidden = [
    getProto(function* () {}),
    getProto(async function () {}),
    getProto(async function* () {}),
    getProto((async function* () {})()),
    getProto([][Symbol.iterator]()),
    getProto(new Map()[Symbol.iterator]()),
    getProto(new Set()[Symbol.iterator]()),
    getProto(''[Symbol.iterator]()),
    getProto(/a/[Symbol.matchAll]('')),
    getProto(Int8Array),
    getProto(getProto([][Symbol.iterator]())),
  ];
  if (typeof Intl === 'object' && typeof Intl.Segmenter === 'function') {
    const segments = new Intl.Segmenter().segment('a');
    hidden.push(getProto(segments), getProto(segments[Symbol.iterator]()));
  }

  const seen = new Set();
  const queue = [globalThis, ...hidden];
  while (queue.length > 0) {
    const value = queue.pop();
    if ((typeof value !== 'object' && typeof value !== 'function') || value === null || seen.has(value))
      continue;
    seen.add(value);
    freeze(value);
    queue.push(getPrototypeOf(value));
    for (const key of ownKeys(value)) {
      const desc = getOwnPropertyDescriptor(value, key);
      if (desc === undefined) continue;
      if ('value' in desc) queue.push(desc.value);
      else queue.push(desc.get, desc.set);
    }
  }

  const notFrozen = [];
  for (const value of seen) {
    if (!isFrozen(value)) notFrozen.push(String((value && value.name) || typeof value));
  }
  return notFrozen.join(',');
});
