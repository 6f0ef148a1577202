/**
 * The one list of catalogers (STYLE.md: explicit, no registration by import side effects). Order is
 * the order of `catalogImage` output. The contract test (registry.test.ts) checks every folder under
 * catalogers/ is listed here with id = folder name, a readme and testdata.
 */
import type { Cataloger } from './cataloger.js';
import { apk } from './catalogers/apk/index.js';
import { dpkg } from './catalogers/dpkg/index.js';
import { go } from './catalogers/go/index.js';
import { java } from './catalogers/java/index.js';
import { dotnet } from './catalogers/dotnet/index.js';
import { php } from './catalogers/php/index.js';
import { ruby } from './catalogers/ruby/index.js';
import { npm } from './catalogers/npm/index.js';
import { python } from './catalogers/python/index.js';
import { rpm } from './catalogers/rpm/index.js';
import { rust } from './catalogers/rust/index.js';

export const CATALOGERS: readonly Cataloger[] = [dpkg, apk, rpm, npm, python, go, rust, java, ruby, dotnet, php];
