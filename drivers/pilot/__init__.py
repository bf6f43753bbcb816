"""Control pilot and proximity pilot: duty math, state classification, ADC front ends, the CP driver."""
