import { describe, expect, it } from 'vitest';
import { DETECTORS } from './registry.js';
import { DETECTION_METHODS } from './types.js';

describe('detector registry (contract)', () => {
  it('lists one detector per detection method, what is inside the image first and the name last', () => {
    expect(DETECTORS.map((d) => d.id)).toEqual(['os-release', 'package', 'file', 'env', 'image-reference']);
    expect([...DETECTORS.map((d) => d.id)].sort()).toEqual([...DETECTION_METHODS].sort());
  });
});
