import { describe, expect, it } from 'vitest';
import { InvalidCvssError, ratingOf, scoreVector } from './index.js';

describe('CVSS base scores', () => {
  // FIRST, "CVSS v3.1: Examples" (https://www.first.org/cvss/v3.1/examples): vector → base score.
  const v31: Array<[string, string, number]> = [
    ['CVE-2013-1937 phpMyAdmin XSS', 'CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N', 6.1],
    ['CVE-2013-0375 MySQL', 'CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:L/I:L/A:N', 6.4],
    ['CVE-2014-3566 SSLv3 POODLE', 'CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:L/I:N/A:N', 3.1],
    ['CVE-2012-1516 VMware guest to host', 'CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:H/I:H/A:H', 9.9],
    ['CVE-2009-0783 Tomcat', 'CVSS:3.1/AV:L/AC:L/PR:H/UI:N/S:U/C:L/I:L/A:L', 4.2],
    ['CVE-2012-0384 Cisco IOS', 'CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H', 8.8],
    ['CVE-2015-1098 iWork', 'CVSS:3.1/AV:L/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H', 7.8],
    ['CVE-2014-0160 Heartbleed', 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N', 7.5],
    ['CVE-2014-6271 Shellshock', 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', 9.8],
    ['CVE-2008-1447 DNS Kaminsky', 'CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:C/C:N/I:H/A:N', 6.8],
    ['CVE-2014-2005 Sophos encryption bypass', 'CVSS:3.1/AV:P/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', 6.8],
    ['CVE-2010-0467 Joomla directory traversal', 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:L/I:N/A:N', 5.8],
  ];
  it.each(v31)('%s: %s = %d', (_name, vector, score) => {
    expect(scoreVector(vector).baseScore).toBe(score);
  });

  it('scores CVSS 4.0 (FIRST calculator: base metrics only) and 3.0 and 2.0', () => {
    expect(scoreVector('CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N')).toEqual({ version: '4.0', vector: 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N', baseScore: 9.3, rating: 'critical' });
    expect(scoreVector('CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H').baseScore).toBe(10);
    expect(scoreVector('CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:L/VI:L/VA:L/SC:N/SI:N/SA:N').baseScore).toBe(6.9);
    // CVE-2022-41741 (nginx mp4 module), FIRST v4.0 examples: 7.3
    expect(scoreVector('CVSS:4.0/AV:L/AC:L/AT:P/PR:L/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N').baseScore).toBe(7.3);
    // threat metrics do not change the base score
    expect(scoreVector('CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:U').baseScore).toBe(9.3);
    expect(scoreVector('CVSS:4.0/AV:P/AC:H/AT:P/PR:H/UI:A/VC:N/VI:N/VA:N/SC:N/SI:N/SA:N')).toMatchObject({ baseScore: 0, rating: 'info' });
    expect(scoreVector('CVSS:3.0/AV:N/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H')).toMatchObject({ version: '3.0', baseScore: 8.8, rating: 'high' });
    expect(scoreVector('AV:N/AC:L/Au:N/C:P/I:P/A:P')).toMatchObject({ version: '2.0', baseScore: 7.5, rating: 'high' });
  });

  it('rates on the spec scale', () => {
    expect([0, 0.1, 3.9, 4, 6.9, 7, 8.9, 9, 10].map((s) => ratingOf(s))).toEqual(['info', 'low', 'low', 'medium', 'medium', 'high', 'high', 'critical', 'critical']);
  });

  it('refuses incomplete or misspelt vectors the library would score 0.0', () => {
    expect(() => scoreVector('CVSS:4.0/AV:N')).toThrow('Invalid CVSS vector "CVSS:4.0/AV:N": missing base metrics AC, AT, PR, UI, VC, VI, VA, SC, SI, SA');
    expect(() => scoreVector('CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/')).toThrow(InvalidCvssError);
    expect(() => scoreVector('CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H')).toThrow('AV:X is not one of AV:N, AV:A, AV:L, AV:P');
    expect(() => scoreVector('CVSS:3.1/AV:N/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H')).toThrow('metric AV appears twice');
    expect(() => scoreVector('CVSS:5.0/AV:N')).toThrow('unsupported version "CVSS:5.0"');
    expect(() => scoreVector('')).toThrow(InvalidCvssError);
  });
});
