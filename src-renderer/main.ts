import { createApp, h } from 'vue';

createApp({ render: () => h('main', [h('h1', 'MR4 Studio')]) }).mount('#app');
