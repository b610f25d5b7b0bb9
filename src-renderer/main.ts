// The renderer: one bundle for Electron (app://) and browser mode (http://127.0.0.1:PORT).
import 'primeicons/primeicons.css';
import './styles/global.css';
import { createPinia } from 'pinia';
import PrimeVue from 'primevue/config';
import ConfirmationService from 'primevue/confirmationservice';
import ToastService from 'primevue/toastservice';
import Tooltip from 'primevue/tooltip';
import { createApp } from 'vue';
import App from './App.vue';
import { Mr4Preset } from './theme';

const app = createApp(App);
app.use(createPinia());
app.use(PrimeVue, {
  theme: { preset: Mr4Preset, options: { darkModeSelector: 'system', cssLayer: false } },
  ripple: false,
});
app.use(ToastService);
app.use(ConfirmationService);
app.directive('tooltip', Tooltip);
app.mount('#app');
