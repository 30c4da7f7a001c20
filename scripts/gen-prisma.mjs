#!/usr/bin/env node
// placeholder until the store lands
