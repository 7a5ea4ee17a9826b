# A prunefi image for workers (and coordinators) on machines without Node: docker-compose.yml.
# onnxruntime-node's CPU binaries come with its npm package; package.json's allowScripts keeps
# its CUDA download from running, as on any install.
FROM node:20-bookworm-slim
WORKDIR /opt/prunefi
COPY . .
# npm ci builds dist/ (the prepare script); the build tools are dropped afterwards.
RUN npm ci && npm prune --omit=dev
ENTRYPOINT ["node", "/opt/prunefi/dist/src/cli/main.js"]
CMD ["--help"]
