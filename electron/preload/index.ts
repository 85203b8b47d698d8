import { contextBridge, ipcRenderer, webUtils } from 'electron';
import { createBridge } from './ferry-bridge';

// The renderer gets the contract and nothing else: never ipcRenderer itself.
contextBridge.exposeInMainWorld('ferry', createBridge(ipcRenderer, webUtils));
