import { startFerryApp } from './ferry-app';

startFerryApp();
