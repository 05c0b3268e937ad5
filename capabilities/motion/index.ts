/**
 * The motion lab capability (issue 21): sEMG (electron/engine/signals),
 * C3D, IMU orientation and the PicoX bridge (native-bridges/devices/
 * emg-imu-picox). Its CLI commands so far; the services, the Motion
 * workspace and the twin features follow.
 */
import { defineCapability } from '../../electron/platform/capability.js';

export default defineCapability({
  name: 'motion',
  title: 'Motion lab',
  version: '0.1.0',
  services: [],
  cli: [
    {
      name: 'c3d',
      usage: 'twin c3d <file.c3d> [--json]',
      run: async (argv) => (await import('./cliC3d.js')).runC3d(argv),
    },
    {
      name: 'emg',
      usage: 'twin emg <file.c3d|analogs.csv> [--notch 50|60] [--json]',
      run: async (argv) => (await import('./cliEmg.js')).runEmg(argv),
    },
    {
      name: 'imu',
      usage: 'twin imu <x-io CSV> [--rate HZ] [--no-magnetometer] [--settings settings.json] [--fixed-period] --out q.csv [--json]',
      run: async (argv) => (await import('./cliImu.js')).runImu(argv),
    },
  ],
});
