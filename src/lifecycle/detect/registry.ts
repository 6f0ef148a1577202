import { envDetector } from './env.js';
import { filesDetector } from './files.js';
import { osDetector } from './os.js';
import { packagesDetector } from './packages.js';
import { referenceDetector } from './reference.js';
import type { Detector } from './types.js';

/** Every product detector, in the order their evidence is listed (what is inside first, the name last). */
export const DETECTORS: readonly Detector[] = [osDetector, packagesDetector, filesDetector, envDetector, referenceDetector];
